// The x86 kernels built for the avx_vnni path (see kernels_x86.inc and sources.cmake).
#include <type_traits>

#define ENGINE_X86_VARIANT 2
#define ENGINE_X86_NAME "avx_vnni"
#include "cpu/kernels_x86.inc"

namespace engine::cpu {

const KernelSet* kernels_avx_vnni() { return &kSet; }

}  // namespace engine::cpu
