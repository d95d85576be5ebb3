# evals/: agreement metrics, bootstrap intervals, pairwise position-swap combiner.
crucible_add_test(evals_metrics_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/metrics_test.cpp LIBS evals::core)
