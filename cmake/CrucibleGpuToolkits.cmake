# GPU toolkits are optional: the options default to ON only where the toolkit is
# installed, and the CPU backend is always built. Kernels arrive with the GPU
# engine work; until then enabling an option only checks that the compiler works.
include(CheckLanguage)
check_language(CUDA)
set(crucible_cuda_found OFF)
if(CMAKE_CUDA_COMPILER)
  set(crucible_cuda_found ON)
endif()
option(CRUCIBLE_ENABLE_CUDA "Build the CUDA backend (auto: ON when nvcc is found)" ${crucible_cuda_found})

find_program(crucible_hipcc hipcc)
set(crucible_hip_found OFF)
if(crucible_hipcc)
  set(crucible_hip_found ON)
endif()
option(CRUCIBLE_ENABLE_HIP "Build the ROCm/HIP backend (auto: ON when hipcc is found)" ${crucible_hip_found})
message(STATUS "Crucible backends: CPU (always), CUDA=${CRUCIBLE_ENABLE_CUDA}, HIP=${CRUCIBLE_ENABLE_HIP}")
