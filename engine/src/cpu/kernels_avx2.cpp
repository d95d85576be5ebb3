// The x86 kernels built for the avx2 path (see kernels_x86.inc and sources.cmake).
#include <type_traits>

#define ENGINE_X86_VARIANT 1
#define ENGINE_X86_NAME "avx2"
#include "cpu/kernels_x86.inc"

namespace engine::cpu {

const KernelSet* kernels_avx2() { return &kSet; }

}  // namespace engine::cpu
