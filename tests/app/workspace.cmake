# Workspace store tests (Qt Test): database + migrations, trace store, import runner, exporter.
crucible_add_qt_test(workspace_database_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/workspace_database_test.cpp LIBS app::core)
crucible_add_qt_test(workspace_store_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/workspace_store_test.cpp LIBS app::core)

add_executable(workspace_import_child ${CMAKE_CURRENT_LIST_DIR}/workspace_import_child.cpp)
target_link_libraries(workspace_import_child PRIVATE app::core)
target_include_directories(workspace_import_child PRIVATE ${CMAKE_CURRENT_LIST_DIR})
crucible_set_warnings(workspace_import_child)
crucible_add_qt_test(workspace_import_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/workspace_import_test.cpp LIBS app::core)
target_compile_definitions(workspace_import_test PRIVATE IMPORT_CHILD_PATH="$<TARGET_FILE:workspace_import_child>")
add_dependencies(workspace_import_test workspace_import_child)
# The import test writes .gz and .zip fixtures itself.
find_package(ZLIB REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(WORKSPACE_TEST_LIBZIP REQUIRED IMPORTED_TARGET libzip)
target_link_libraries(workspace_import_test PRIVATE ZLIB::ZLIB PkgConfig::WORKSPACE_TEST_LIBZIP)
crucible_add_qt_test(workspace_export_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/workspace_export_test.cpp LIBS app::core)

# bench/bench_workspace.py drives this tool (not a test; built with the suite so it stays compiling).
add_executable(bench_workspace ${CMAKE_SOURCE_DIR}/bench/bench_workspace.cpp)
target_link_libraries(bench_workspace PRIVATE app::core)
target_include_directories(bench_workspace PRIVATE ${CMAKE_CURRENT_LIST_DIR})
crucible_set_warnings(bench_workspace)
