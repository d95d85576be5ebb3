// The aarch64 NEON kernels with the ARMv8.2 dot product sdot (see
// kernels_neon.inc and sources.cmake); a stub on other targets.
#include "cpu/kernels.h"

#if defined(__aarch64__)

#define ENGINE_NEON_DOTPROD 1
#define ENGINE_NEON_NAME "neon_dotprod"
#include "cpu/kernels_neon.inc"

namespace engine::cpu {

const KernelSet* kernels_neon_dotprod() { return &kSet; }

}  // namespace engine::cpu

#else

namespace engine::cpu {

const KernelSet* kernels_neon_dotprod() { return nullptr; }

}  // namespace engine::cpu

#endif
