# crucible-cli rubric / judge / calibrate end to end on the default model.
find_package(nlohmann_json 3.10 REQUIRED)
crucible_add_test(test_cli_evals SOURCES ${CMAKE_CURRENT_LIST_DIR}/cli_evals_test.cpp LIBS nlohmann_json::nlohmann_json)
target_compile_definitions(test_cli_evals PRIVATE CRUCIBLE_CLI_PATH="$<TARGET_FILE:crucible-cli>")
add_dependencies(test_cli_evals crucible-cli)
