find_package(nlohmann_json 3.10 REQUIRED)
crucible_add_test(test_cli SOURCES ${CMAKE_CURRENT_LIST_DIR}/cli_test.cpp LIBS nlohmann_json::nlohmann_json)
target_compile_definitions(test_cli PRIVATE CRUCIBLE_CLI_PATH="$<TARGET_FILE:crucible-cli>")
add_dependencies(test_cli crucible-cli)
crucible_add_test(test_cli_workspace SOURCES ${CMAKE_CURRENT_LIST_DIR}/cli_workspace_test.cpp
                  LIBS nlohmann_json::nlohmann_json)
target_compile_definitions(test_cli_workspace PRIVATE CRUCIBLE_CLI_PATH="$<TARGET_FILE:crucible-cli>")
add_dependencies(test_cli_workspace crucible-cli)
