list(APPEND ENGINE_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/conventions.cpp
  ${CMAKE_CURRENT_LIST_DIR}/model.cpp
  ${CMAKE_CURRENT_LIST_DIR}/load_gguf.cpp
  ${CMAKE_CURRENT_LIST_DIR}/load_hf.cpp
  ${CMAKE_CURRENT_LIST_DIR}/kv_cache.cpp
  ${CMAKE_CURRENT_LIST_DIR}/forward.cpp
  ${CMAKE_CURRENT_LIST_DIR}/lora.cpp
  ${CMAKE_CURRENT_LIST_DIR}/layer_forward.cpp
  ${CMAKE_CURRENT_LIST_DIR}/reference_forward.cpp
)
