# Sources of crucible_finetune, one purpose per file.
set(FINETUNE_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/adapter_io.cpp
  ${CMAKE_CURRENT_LIST_DIR}/checkpoint.cpp
  ${CMAKE_CURRENT_LIST_DIR}/durable_file.cpp
  ${CMAKE_CURRENT_LIST_DIR}/grpo.cpp
  ${CMAKE_CURRENT_LIST_DIR}/gguf_lora.cpp
  ${CMAKE_CURRENT_LIST_DIR}/lora_config.cpp
  ${CMAKE_CURRENT_LIST_DIR}/merge.cpp
  ${CMAKE_CURRENT_LIST_DIR}/optimizer.cpp
  ${CMAKE_CURRENT_LIST_DIR}/peft_export.cpp
  ${CMAKE_CURRENT_LIST_DIR}/peft_import.cpp
  ${CMAKE_CURRENT_LIST_DIR}/schedule.cpp
  ${CMAKE_CURRENT_LIST_DIR}/sft.cpp
  ${CMAKE_CURRENT_LIST_DIR}/sft_data.cpp
)
