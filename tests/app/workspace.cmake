# Workspace store tests (Qt Test): database + migrations, trace store, import runner, exporter.
crucible_add_qt_test(workspace_database_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/workspace_database_test.cpp LIBS app::core)
crucible_add_qt_test(workspace_store_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/workspace_store_test.cpp LIBS app::core)
