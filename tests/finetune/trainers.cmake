crucible_add_test(test_finetune_trainers SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/trainers_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/engine/tiny_model.cpp
  LIBS finetune::core)
target_include_directories(test_finetune_trainers PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/engine)
