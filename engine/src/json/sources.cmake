list(APPEND ENGINE_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/json_value.cpp
  ${CMAKE_CURRENT_LIST_DIR}/json_parse.cpp
  ${CMAKE_CURRENT_LIST_DIR}/json_dump.cpp
)
