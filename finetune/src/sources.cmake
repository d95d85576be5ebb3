# Sources of crucible_finetune, one purpose per file.
set(FINETUNE_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/lora_config.cpp
  ${CMAKE_CURRENT_LIST_DIR}/optimizer.cpp
  ${CMAKE_CURRENT_LIST_DIR}/schedule.cpp
)
