crucible_add_test(test_constrain SOURCES ${CMAKE_CURRENT_LIST_DIR}/json_grammar_test.cpp
                                         ${CMAKE_CURRENT_LIST_DIR}/json_constraint_test.cpp)
crucible_add_test(test_constrained_generation SOURCES ${CMAKE_CURRENT_LIST_DIR}/constrained_generation_test.cpp
                                                      ${CMAKE_CURRENT_LIST_DIR}/tiny_model.cpp)
