list(APPEND ENGINE_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/grammar_build.cpp
  ${CMAKE_CURRENT_LIST_DIR}/json_grammar.cpp
  ${CMAKE_CURRENT_LIST_DIR}/json_schema_constraint.cpp
  ${CMAKE_CURRENT_LIST_DIR}/matcher.cpp
  ${CMAKE_CURRENT_LIST_DIR}/number.cpp
  ${CMAKE_CURRENT_LIST_DIR}/schema_compiler.cpp
)
