# crucible-cli eval end to end on the default model and a LoRA adapter written by the test.
find_package(nlohmann_json 3.10 REQUIRED)
crucible_add_test(test_cli_eval SOURCES ${CMAKE_CURRENT_LIST_DIR}/cli_eval_test.cpp
                  LIBS finetune::core nlohmann_json::nlohmann_json)
target_compile_definitions(test_cli_eval PRIVATE CRUCIBLE_CLI_PATH="$<TARGET_FILE:crucible-cli>")
add_dependencies(test_cli_eval crucible-cli)
