# evals/: the judge backend on a real local model (SmolLM2-135M), constrained verdicts.
crucible_add_test(evals_engine_judge_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/engine_judge_test.cpp LIBS evals::core)
