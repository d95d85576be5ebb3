# evals/: rubrics, judge prompts and verdicts, cache keys, the judge runner, calibration.
crucible_add_test(evals_judge_test SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/judge_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/calibration_test.cpp
  LIBS evals::core)
