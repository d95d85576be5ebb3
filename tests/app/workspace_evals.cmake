# Rubric and judgment storage (Qt Test): migration 0002, RubricStore, JudgmentStore.
crucible_add_qt_test(workspace_evals_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/workspace_evals_test.cpp LIBS app::core)
