crucible_add_test(test_finetune_core SOURCES ${CMAKE_CURRENT_LIST_DIR}/core_test.cpp LIBS finetune::core)
crucible_add_test(test_finetune_adapters SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/adapter_io_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/engine/tiny_model.cpp
  LIBS finetune::core)
crucible_add_test(test_finetune_checkpoint SOURCES ${CMAKE_CURRENT_LIST_DIR}/checkpoint_test.cpp LIBS finetune::core)
crucible_add_test(test_finetune_merge SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/merge_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/engine/tiny_model.cpp
  LIBS finetune::core)
crucible_add_test(test_finetune_peft_golden SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/peft_golden_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/engine/tiny_model.cpp
  LIBS finetune::core)
