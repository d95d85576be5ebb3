// The aarch64 NEON kernels without the dot-product extension (see
// kernels_neon.inc and sources.cmake); a stub on other targets.
#include "cpu/kernels.h"

#if defined(__aarch64__)

#define ENGINE_NEON_DOTPROD 0
#define ENGINE_NEON_NAME "neon"
#include "cpu/kernels_neon.inc"

namespace engine::cpu {

const KernelSet* kernels_neon() { return &kSet; }

}  // namespace engine::cpu

#else

namespace engine::cpu {

const KernelSet* kernels_neon() { return nullptr; }

}  // namespace engine::cpu

#endif
