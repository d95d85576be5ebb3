crucible_add_test(test_finetune_core SOURCES ${CMAKE_CURRENT_LIST_DIR}/core_test.cpp LIBS finetune::core)
