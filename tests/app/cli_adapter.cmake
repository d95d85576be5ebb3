crucible_add_test(test_cli_adapter SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/cli_adapter_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/engine/tiny_model.cpp
  LIBS finetune::core)
target_compile_definitions(test_cli_adapter PRIVATE CRUCIBLE_CLI_PATH="$<TARGET_FILE:crucible-cli>")
add_dependencies(test_cli_adapter crucible-cli)
