# NEON kernel tests: aarch64 builds only (scripts/test_aarch64.sh runs them under qemu).
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64|ARM64)$")
  crucible_add_test(test_matmul_neon SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/test_matmul_neon.cpp)
endif()
