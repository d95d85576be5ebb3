# Trace importers (app/importers): one Qt Test per format family group.
crucible_add_qt_test(test_importers SOURCES ${CMAKE_CURRENT_LIST_DIR}/importers_test.cpp LIBS app::core)
crucible_add_qt_test(test_importers_observability
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/importers_observability_test.cpp LIBS app::core)
crucible_add_qt_test(test_importers_extra SOURCES ${CMAKE_CURRENT_LIST_DIR}/importers_extra_test.cpp LIBS app::core)
