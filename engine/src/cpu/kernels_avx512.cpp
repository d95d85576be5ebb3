// The x86 kernels built for the avx512 path (see kernels_x86.inc and sources.cmake).
#include <type_traits>

#define ENGINE_X86_VARIANT 3
#define ENGINE_X86_NAME "avx512"
#include "cpu/kernels_x86.inc"

namespace engine::cpu {

const KernelSet* kernels_avx512() { return &kSet; }

}  // namespace engine::cpu
