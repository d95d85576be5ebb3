find_package(nlohmann_json 3.10 REQUIRED)
crucible_add_test(test_cli_train SOURCES ${CMAKE_CURRENT_LIST_DIR}/cli_train_test.cpp LIBS nlohmann_json::nlohmann_json)
target_compile_definitions(test_cli_train PRIVATE CRUCIBLE_CLI_PATH="$<TARGET_FILE:crucible-cli>")
add_dependencies(test_cli_train crucible-cli)
