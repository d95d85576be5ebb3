list(APPEND ENGINE_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/generator.cpp
  ${CMAKE_CURRENT_LIST_DIR}/model_bundle.cpp
)
