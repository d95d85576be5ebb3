crucible_add_test(test_runtime SOURCES ${CMAKE_CURRENT_LIST_DIR}/generator_test.cpp)
crucible_add_test(test_model_bundle SOURCES ${CMAKE_CURRENT_LIST_DIR}/model_bundle_test.cpp
                                            ${CMAKE_CURRENT_LIST_DIR}/tiny_model.cpp)
