// Targets without x86 SIMD paths: only the scalar kernels exist.
#include "cpu/kernels.h"

namespace engine::cpu {

const KernelSet* kernels_avx2() { return nullptr; }
const KernelSet* kernels_avx_vnni() { return nullptr; }
const KernelSet* kernels_avx512() { return nullptr; }

}  // namespace engine::cpu
