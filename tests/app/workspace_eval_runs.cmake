# Eval run storage: migration 0003 over a version-2 workspace, EvalRunStore round trips.
crucible_add_test(test_workspace_eval_runs SOURCES ${CMAKE_CURRENT_LIST_DIR}/workspace_eval_runs_test.cpp
                  LIBS app::core)
