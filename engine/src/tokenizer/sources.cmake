list(APPEND ENGINE_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/byte_alphabet.cpp
  ${CMAKE_CURRENT_LIST_DIR}/merge_byte_level.cpp
  ${CMAKE_CURRENT_LIST_DIR}/merge_sentencepiece.cpp
  ${CMAKE_CURRENT_LIST_DIR}/pretokenizer.cpp
  ${CMAKE_CURRENT_LIST_DIR}/special_matcher.cpp
  ${CMAKE_CURRENT_LIST_DIR}/stream_decoder.cpp
  ${CMAKE_CURRENT_LIST_DIR}/tokenizer.cpp
  ${CMAKE_CURRENT_LIST_DIR}/tokenizer_spec_gguf.cpp
  ${CMAKE_CURRENT_LIST_DIR}/tokenizer_spec_hf.cpp
  ${CMAKE_CURRENT_LIST_DIR}/utf8.cpp
)
