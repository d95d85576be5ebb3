crucible_add_test(test_jinja SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/jinja_golden_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/jinja_unit_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/chat_template_test.cpp)
