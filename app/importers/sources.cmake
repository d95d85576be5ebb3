# Trace importers: one source file per format family, plus the registry.
list(APPEND APP_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/importers.h
  ${CMAKE_CURRENT_LIST_DIR}/importer_common.h
  ${CMAKE_CURRENT_LIST_DIR}/importer_common.cpp
  ${CMAKE_CURRENT_LIST_DIR}/format_registry.cpp
  ${CMAKE_CURRENT_LIST_DIR}/canonical_format.cpp
  ${CMAKE_CURRENT_LIST_DIR}/openai_formats.cpp
  ${CMAKE_CURRENT_LIST_DIR}/openai_responses.cpp
  ${CMAKE_CURRENT_LIST_DIR}/dataset_formats.cpp
  ${CMAKE_CURRENT_LIST_DIR}/trl_format.cpp
  ${CMAKE_CURRENT_LIST_DIR}/csv_format.cpp
  ${CMAKE_CURRENT_LIST_DIR}/otlp_internal.h
  ${CMAKE_CURRENT_LIST_DIR}/otlp_format.cpp
  ${CMAKE_CURRENT_LIST_DIR}/otlp_messages.cpp
  ${CMAKE_CURRENT_LIST_DIR}/otlp_logs.cpp
  ${CMAKE_CURRENT_LIST_DIR}/loose_messages.h
  ${CMAKE_CURRENT_LIST_DIR}/loose_messages.cpp
  ${CMAKE_CURRENT_LIST_DIR}/langfuse_format.cpp
  ${CMAKE_CURRENT_LIST_DIR}/langfuse_csv.cpp
  ${CMAKE_CURRENT_LIST_DIR}/langsmith_format.cpp
)
