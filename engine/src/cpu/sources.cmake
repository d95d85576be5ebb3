# CPU kernels. Each instruction-set path is its own translation unit with its
# own -m flags; matmul.cpp picks one at run time with __builtin_cpu_supports, so
# the library runs on any x86-64 CPU. All kernel files are built without FMA
# contraction so a path's results do not depend on compiler choices.
list(APPEND ENGINE_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/matmul.cpp
  ${CMAKE_CURRENT_LIST_DIR}/kernels_scalar.cpp
)
set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/kernels_scalar.cpp
  PROPERTIES COMPILE_OPTIONS "-ffp-contract=off")

if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
  list(APPEND ENGINE_SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/kernels_avx2.cpp
    ${CMAKE_CURRENT_LIST_DIR}/kernels_avx_vnni.cpp
    ${CMAKE_CURRENT_LIST_DIR}/kernels_avx512.cpp
  )
  set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/kernels_avx2.cpp
    PROPERTIES COMPILE_OPTIONS "-mavx2;-mfma;-mf16c;-ffp-contract=off")
  set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/kernels_avx_vnni.cpp
    PROPERTIES COMPILE_OPTIONS "-mavx2;-mfma;-mf16c;-mavxvnni;-ffp-contract=off")
  # GCC 12 reports its own AVX-512 intrinsics (_mm512_undefined_* sources of
  # the insert/extract/convert builtins) as maybe-uninitialized once inlined.
  set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/kernels_avx512.cpp
    PROPERTIES COMPILE_OPTIONS "-mavx2;-mfma;-mf16c;-mavx512f;-mavx512bw;-mavx512vl;-mavx512dq;-mavx512vnni;-ffp-contract=off;-Wno-maybe-uninitialized")
else()
  list(APPEND ENGINE_SOURCES ${CMAKE_CURRENT_LIST_DIR}/kernels_none.cpp)
endif()

# aarch64 NEON kernels (kernels_neon.inc), built twice: plain Advanced SIMD, and
# with the ARMv8.2 dot product; matmul.cpp picks one with getauxval(AT_HWCAP).
# On other targets both files only define nullptr stubs.
list(APPEND ENGINE_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/kernels_neon.cpp
  ${CMAKE_CURRENT_LIST_DIR}/kernels_neon_dotprod.cpp
)
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64|ARM64)$")
  set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/kernels_neon.cpp
    PROPERTIES COMPILE_OPTIONS "-ffp-contract=off")
  set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/kernels_neon_dotprod.cpp
    PROPERTIES COMPILE_OPTIONS "-march=armv8.2-a+dotprod;-ffp-contract=off")
endif()

# Training kernels: the accumulating GEMM (explicit FMA on the SIMD paths, so no
# contraction anywhere else) and the matmul backward drivers.
list(APPEND ENGINE_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/gemm_accumulate.cpp
  ${CMAKE_CURRENT_LIST_DIR}/matmul_backward.cpp
)
set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/gemm_accumulate.cpp
  PROPERTIES COMPILE_OPTIONS "-ffp-contract=off")
