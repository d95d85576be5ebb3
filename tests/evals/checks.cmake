# evals/: text primitives, similarity, JSON schema subset, programmatic checks.
crucible_add_test(evals_checks_test SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/text_schema_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/checks_test.cpp
  LIBS evals::core)
