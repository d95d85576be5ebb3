# evals/: OpenAI grader import/export/grading and Fireworks eval-protocol rows.
crucible_add_test(evals_interop_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/interop_test.cpp LIBS evals::core)
