// matmul / get_rows drivers: path selection, activation quantization, and the
// row/token blocking that hands work to the per-ISA dot kernels.
#include "engine/matmul.h"

#include <algorithm>
#include <atomic>
#include <limits>
#include <vector>

#if defined(__aarch64__)
#include <sys/auxv.h>
#endif

#include "cpu/kernels.h"
#include "engine/quant.h"

namespace engine {
namespace {

using namespace quant;

const cpu::KernelSet* kernels_for(CpuPath path) {
    switch (path) {
        case CpuPath::scalar:
            return &cpu::kernels_scalar();
        case CpuPath::avx2:
            return cpu::kernels_avx2();
        case CpuPath::avx_vnni:
            return cpu::kernels_avx_vnni();
        case CpuPath::avx512:
            return cpu::kernels_avx512();
        case CpuPath::neon:
            return cpu::kernels_neon();
        case CpuPath::neon_dotprod:
            return cpu::kernels_neon_dotprod();
    }
    return nullptr;
}

CpuPath detect_best() {
    for (CpuPath p :
         {CpuPath::avx512, CpuPath::avx_vnni, CpuPath::avx2, CpuPath::neon_dotprod, CpuPath::neon})
        if (cpu_path_available(p)) return p;
    return CpuPath::scalar;
}

std::atomic<int> g_forced{-1};  // -1: automatic

// Rows per block: a block's weights (at most ~16 rows of a few KB) stay in L1/L2
// while every token tile passes over them.
constexpr int64_t kRowBlock = 16;

// Grow-only per-thread scratch for quantized activations, so the decode path
// allocates nothing after warm-up. 64-byte aligned for the SIMD loads.
uint8_t* scratch(size_t bytes) {
    thread_local std::vector<uint8_t> buffer;
    if (buffer.size() < bytes + 64) buffer.resize(bytes + 64);
    auto p = reinterpret_cast<uintptr_t>(buffer.data());
    return buffer.data() + ((64 - (p & 63)) & 63);
}

}  // namespace

namespace cpu {

ActFormat act_format(DType type) {
    switch (type) {
        case DType::F32:
        case DType::F16:
        case DType::BF16:
            return ActFormat::f32;
        case DType::Q4_K:
        case DType::Q5_K:
        case DType::Q6_K:
            return ActFormat::q8k;
        default:
            return ActFormat::q8a;
    }
}

DotFn dot_for(const KernelSet& ks, DType type) {
    switch (type) {
        case DType::F32:
            return ks.f32;
        case DType::F16:
            return ks.f16;
        case DType::BF16:
            return ks.bf16;
        case DType::Q8_0:
            return ks.q8_0;
        case DType::Q4_0:
            return ks.q4_0;
        case DType::Q4_1:
            return ks.q4_1;
        case DType::Q5_0:
            return ks.q5_0;
        case DType::Q5_1:
            return ks.q5_1;
        case DType::Q4_K:
            return ks.q4_k;
        case DType::Q5_K:
            return ks.q5_k;
        case DType::Q6_K:
            return ks.q6_k;
        default:
            return nullptr;
    }
}

}  // namespace cpu

const char* cpu_path_name(CpuPath path) {
    switch (path) {
        case CpuPath::scalar:
            return "scalar";
        case CpuPath::avx2:
            return "avx2";
        case CpuPath::avx_vnni:
            return "avx_vnni";
        case CpuPath::avx512:
            return "avx512";
        case CpuPath::neon:
            return "neon";
        case CpuPath::neon_dotprod:
            return "neon_dotprod";
    }
    return "?";
}

bool cpu_path_available(CpuPath path) {
    if (kernels_for(path) == nullptr) return false;
#if defined(__x86_64__) || defined(__i386__)
    switch (path) {
        case CpuPath::scalar:
            return true;
        case CpuPath::avx2:
            return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                   __builtin_cpu_supports("f16c");
        case CpuPath::avx_vnni:
            return cpu_path_available(CpuPath::avx2) && __builtin_cpu_supports("avxvnni");
        case CpuPath::avx512:
            return cpu_path_available(CpuPath::avx2) && __builtin_cpu_supports("avx512f") &&
                   __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
                   __builtin_cpu_supports("avx512vnni");
        case CpuPath::neon:
        case CpuPath::neon_dotprod:
            return false;
    }
    return false;
#elif defined(__aarch64__)
    // kernels_for() is non-null only for scalar and the NEON paths on aarch64.
    const unsigned long hwcap = getauxval(AT_HWCAP);
    if (path == CpuPath::neon) return (hwcap & HWCAP_ASIMD) != 0;
    if (path == CpuPath::neon_dotprod) return (hwcap & HWCAP_ASIMD) != 0 && (hwcap & HWCAP_ASIMDDP) != 0;
    return path == CpuPath::scalar;
#else
    return path == CpuPath::scalar;
#endif
}

CpuPath cpu_path_best() {
    static const CpuPath best = detect_best();
    return best;
}

CpuPath cpu_path_active() {
    int forced = g_forced.load(std::memory_order_relaxed);
    return forced < 0 ? cpu_path_best() : static_cast<CpuPath>(forced);
}

bool cpu_path_force(CpuPath path) {
    if (!cpu_path_available(path)) return false;
    g_forced.store(static_cast<int>(path), std::memory_order_relaxed);
    return true;
}

void cpu_path_reset() { g_forced.store(-1, std::memory_order_relaxed); }

void matmul(const TensorView& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool) {
    const int64_t k = w.ne[0];
    const int64_t rows = w.n_rows();
    if (n_tokens <= 0 || rows <= 0) return;
    const cpu::KernelSet& ks = *kernels_for(cpu_path_active());
    const cpu::DotFn dot = cpu::dot_for(ks, w.type);
    const cpu::ActFormat fmt = cpu::act_format(w.type);
    if (dot == nullptr || !quant_supported(w.type) || k % dtype_info(w.type).block_size != 0) {
        // Callers validate types and shapes when loading; never read past the data here.
        std::fill(y, y + n_tokens * rows, std::numeric_limits<float>::quiet_NaN());
        return;
    }

    // Activations: float rows as given, or one quantized row per token.
    const uint8_t* act = reinterpret_cast<const uint8_t*>(x);
    size_t act_stride = static_cast<size_t>(k) * sizeof(float);
    if (fmt != cpu::ActFormat::f32) {
        act_stride = fmt == cpu::ActFormat::q8a ? static_cast<size_t>(k / kQK) * sizeof(BlockQ8A)
                                                : static_cast<size_t>(k / kQKK) * sizeof(BlockQ8K);
        uint8_t* q = scratch(act_stride * static_cast<size_t>(n_tokens));
        auto quantize_tokens = [&](int64_t t0, int64_t t1) {
            for (int64_t t = t0; t < t1; ++t) {
                uint8_t* dst = q + static_cast<size_t>(t) * act_stride;
                if (fmt == cpu::ActFormat::q8a)
                    ks.quantize_q8a(x + t * k, reinterpret_cast<BlockQ8A*>(dst), k);
                else
                    ks.quantize_q8k(x + t * k, reinterpret_cast<BlockQ8K*>(dst), k);
            }
        };
        if (n_tokens == 1)
            quantize_tokens(0, 1);  // microseconds: not worth waking the pool
        else
            pool.parallel_for(n_tokens, quantize_tokens);
        act = q;
    }

    const size_t w_stride = w.row_bytes();
    const size_t ldy = static_cast<size_t>(rows);
    pool.parallel_for(rows, [&](int64_t r0, int64_t r1) {
        for (int64_t rb = r0; rb < r1; rb += kRowBlock) {
            const int64_t re = std::min(r1, rb + kRowBlock);
            for (int64_t t0 = 0; t0 < n_tokens; t0 += ks.tile) {
                const int nt = static_cast<int>(std::min<int64_t>(ks.tile, n_tokens - t0));
                const uint8_t* a = act + static_cast<size_t>(t0) * act_stride;
                float* yt = y + static_cast<size_t>(t0) * ldy;
                for (int64_t r = rb; r < re; ++r)
                    dot(k, w.data + static_cast<size_t>(r) * w_stride, a, act_stride, nt, yt + r, ldy);
            }
        }
    });
}

void get_rows(const TensorView& w, const int32_t* ids, int64_t n, float* out) {
    const int64_t k = w.ne[0];
    const int64_t rows = w.n_rows();
    for (int64_t i = 0; i < n; ++i) {
        float* dst = out + i * k;
        if (ids[i] < 0 || ids[i] >= rows) {
            std::fill(dst, dst + k, std::numeric_limits<float>::quiet_NaN());
            continue;
        }
        dequantize_row(w.type, w.row(ids[i]), dst, k);
    }
}

}  // namespace engine
