// gemm_accumulate: register-tiled micro-kernels (a tile of MT rows of C by NV
// vectors of columns stays in registers while r runs over the whole range),
// one set per instruction set, chosen per call from cpu_path_active().
// Built with -ffp-contract=off: the SIMD paths fuse explicitly, the portable
// path must not fuse behind our back (its tails would then round differently
// from its vector body).
#include "cpu/gemm_accumulate.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "engine/matmul.h"

namespace engine::cpu {
namespace {

// Portable path: MT rows by 8 columns held in two 4-float vectors (GCC/Clang
// vector extensions: SSE2 or NEON registers), multiply then add. A partial
// column tile (nn < 8) takes the plain loop, which rounds the same way.
typedef float V4 __attribute__((vector_size(16)));

inline V4 load4(const float* p) {
    V4 v;
    std::memcpy(&v, p, sizeof(v));
    return v;
}

inline void store4(float* p, V4 v) { std::memcpy(p, &v, sizeof(v)); }

template <int MT>
void tile_portable(int64_t R, const float* a, int64_t sam, int64_t sar, const float* b, int64_t ldb, float* c,
                   int64_t ldc, int nn) {
    if (nn < 8) {
        float acc[MT][8] = {};
        for (int m = 0; m < MT; ++m)
            for (int j = 0; j < nn; ++j) acc[m][j] = c[m * ldc + j];
        for (int64_t r = 0; r < R; ++r)
            for (int m = 0; m < MT; ++m) {
                const float av = a[r * sar + m * sam];
                for (int j = 0; j < nn; ++j) acc[m][j] += av * b[r * ldb + j];
            }
        for (int m = 0; m < MT; ++m)
            for (int j = 0; j < nn; ++j) c[m * ldc + j] = acc[m][j];
        return;
    }
    V4 acc[MT][2];
    for (int m = 0; m < MT; ++m) {
        acc[m][0] = load4(c + m * ldc);
        acc[m][1] = load4(c + m * ldc + 4);
    }
    for (int64_t r = 0; r < R; ++r) {
        const float* br = b + r * ldb;
        const float* ar = a + r * sar;
        const V4 b0 = load4(br), b1 = load4(br + 4);
        for (int m = 0; m < MT; ++m) {
            const float s = ar[m * sam];
            const V4 av = {s, s, s, s};
            acc[m][0] += av * b0;
            acc[m][1] += av * b1;
        }
    }
    for (int m = 0; m < MT; ++m) {
        store4(c + m * ldc, acc[m][0]);
        store4(c + m * ldc + 4, acc[m][1]);
    }
}

void gemm_portable(int64_t M, int64_t N, int64_t R, const float* a, int64_t sam, int64_t sar, const float* b,
                   int64_t ldb, float* c, int64_t ldc) {
    using Fn = void (*)(int64_t, const float*, int64_t, int64_t, const float*, int64_t, float*, int64_t, int);
    static constexpr Fn kTiles[4] = {tile_portable<1>, tile_portable<2>, tile_portable<3>, tile_portable<4>};
    for (int64_t n0 = 0; n0 < N; n0 += 8) {
        const int nn = static_cast<int>(std::min<int64_t>(8, N - n0));
        for (int64_t m0 = 0; m0 < M; m0 += 4) {
            const int mt = static_cast<int>(std::min<int64_t>(4, M - m0));
            kTiles[mt - 1](R, a + m0 * sam, sam, sar, b + n0, ldb, c + m0 * ldc + n0, ldc, nn);
        }
    }
}

#if defined(__x86_64__)

// AVX2: MT <= 6 rows by NV <= 2 vectors of 8 (12 accumulators, 2 B vectors and
// a broadcast: 15 of the 16 ymm registers). kMasked: the last vector holds
// fewer than 8 columns, loaded and stored with a lane mask.
template <int MT, int NV, bool kMasked>
__attribute__((target("avx2,fma"))) void tile_avx2(int64_t R, const float* a, int64_t sam, int64_t sar,
                                                   const float* b, int64_t ldb, float* c, int64_t ldc,
                                                   int rem) {
    const __m256i mask =
        _mm256_cmpgt_epi32(_mm256_set1_epi32(rem), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    __m256 acc[MT][NV];
#pragma GCC unroll 8
    for (int m = 0; m < MT; ++m)
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) {
            const float* p = c + m * ldc + 8 * v;
            acc[m][v] = kMasked && v == NV - 1 ? _mm256_maskload_ps(p, mask) : _mm256_loadu_ps(p);
        }
    for (int64_t r = 0; r < R; ++r) {
        const float* br = b + r * ldb;
        const float* ar = a + r * sar;
        __m256 bv[NV];
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v)
            bv[v] =
                kMasked && v == NV - 1 ? _mm256_maskload_ps(br + 8 * v, mask) : _mm256_loadu_ps(br + 8 * v);
#pragma GCC unroll 8
        for (int m = 0; m < MT; ++m) {
            const __m256 av = _mm256_broadcast_ss(ar + m * sam);
#pragma GCC unroll 4
            for (int v = 0; v < NV; ++v) acc[m][v] = _mm256_fmadd_ps(av, bv[v], acc[m][v]);
        }
    }
#pragma GCC unroll 8
    for (int m = 0; m < MT; ++m)
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) {
            float* p = c + m * ldc + 8 * v;
            if (kMasked && v == NV - 1)
                _mm256_maskstore_ps(p, mask, acc[m][v]);
            else
                _mm256_storeu_ps(p, acc[m][v]);
        }
}

using TileFn = void (*)(int64_t, const float*, int64_t, int64_t, const float*, int64_t, float*, int64_t, int);

#define ENGINE_AVX2_ROW(m)                                                                                 \
    {                                                                                                      \
        {tile_avx2<m, 1, false>, tile_avx2<m, 1, true>}, { tile_avx2<m, 2, false>, tile_avx2<m, 2, true> } \
    }
constexpr TileFn kAvx2Tiles[6][2][2] = {ENGINE_AVX2_ROW(1), ENGINE_AVX2_ROW(2), ENGINE_AVX2_ROW(3),
                                        ENGINE_AVX2_ROW(4), ENGINE_AVX2_ROW(5), ENGINE_AVX2_ROW(6)};
#undef ENGINE_AVX2_ROW

void gemm_avx2(int64_t M, int64_t N, int64_t R, const float* a, int64_t sam, int64_t sar, const float* b,
               int64_t ldb, float* c, int64_t ldc) {
    for (int64_t n0 = 0; n0 < N; n0 += 16) {
        const int nn = static_cast<int>(std::min<int64_t>(16, N - n0));
        const int nv = (nn + 7) / 8;
        const int rem = nn - 8 * (nv - 1);
        for (int64_t m0 = 0; m0 < M; m0 += 6) {
            const int mt = static_cast<int>(std::min<int64_t>(6, M - m0));
            kAvx2Tiles[mt - 1][nv - 1][rem < 8](R, a + m0 * sam, sam, sar, b + n0, ldb, c + m0 * ldc + n0,
                                                ldc, rem);
        }
    }
}

// AVX-512: MT <= 6 rows by NV <= 4 vectors of 16 (24 accumulators, 4 B vectors
// and a broadcast: 29 of the 32 zmm registers). The last vector is loaded and
// stored under a lane mask (all ones when it is full; same cost).
// GCC 12's AVX-512 headers pass _mm512_undefined_ps() as the unused merge
// source, which -Wmaybe-uninitialized reports (a known false positive).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
template <int MT, int NV>
__attribute__((target("avx512f"))) void tile_avx512(int64_t R, const float* a, int64_t sam, int64_t sar,
                                                    const float* b, int64_t ldb, float* c, int64_t ldc,
                                                    int rem) {
    const __mmask16 last = static_cast<__mmask16>((1u << rem) - 1u);
    __m512 acc[MT][NV];
#pragma GCC unroll 8
    for (int m = 0; m < MT; ++m)
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v)
            acc[m][v] = v == NV - 1 ? _mm512_maskz_loadu_ps(last, c + m * ldc + 16 * v)
                                    : _mm512_loadu_ps(c + m * ldc + 16 * v);
    for (int64_t r = 0; r < R; ++r) {
        const float* br = b + r * ldb;
        const float* ar = a + r * sar;
        __m512 bv[NV];
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v)
            bv[v] = v == NV - 1 ? _mm512_maskz_loadu_ps(last, br + 16 * v) : _mm512_loadu_ps(br + 16 * v);
#pragma GCC unroll 8
        for (int m = 0; m < MT; ++m) {
            const __m512 av = _mm512_set1_ps(ar[m * sam]);
#pragma GCC unroll 4
            for (int v = 0; v < NV; ++v) acc[m][v] = _mm512_fmadd_ps(av, bv[v], acc[m][v]);
        }
    }
#pragma GCC unroll 8
    for (int m = 0; m < MT; ++m)
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) {
            float* p = c + m * ldc + 16 * v;
            if (v == NV - 1)
                _mm512_mask_storeu_ps(p, last, acc[m][v]);
            else
                _mm512_storeu_ps(p, acc[m][v]);
        }
}
#pragma GCC diagnostic pop

#define ENGINE_AVX512_ROW(m) \
    { tile_avx512<m, 1>, tile_avx512<m, 2>, tile_avx512<m, 3>, tile_avx512<m, 4> }
constexpr TileFn kAvx512Tiles[6][4] = {ENGINE_AVX512_ROW(1), ENGINE_AVX512_ROW(2), ENGINE_AVX512_ROW(3),
                                       ENGINE_AVX512_ROW(4), ENGINE_AVX512_ROW(5), ENGINE_AVX512_ROW(6)};
#undef ENGINE_AVX512_ROW

void gemm_avx512(int64_t M, int64_t N, int64_t R, const float* a, int64_t sam, int64_t sar, const float* b,
                 int64_t ldb, float* c, int64_t ldc) {
    for (int64_t n0 = 0; n0 < N; n0 += 64) {
        const int nn = static_cast<int>(std::min<int64_t>(64, N - n0));
        const int nv = (nn + 15) / 16;
        const int rem = nn - 16 * (nv - 1);
        for (int64_t m0 = 0; m0 < M; m0 += 6) {
            const int mt = static_cast<int>(std::min<int64_t>(6, M - m0));
            kAvx512Tiles[mt - 1][nv - 1](R, a + m0 * sam, sam, sar, b + n0, ldb, c + m0 * ldc + n0, ldc, rem);
        }
    }
}

#endif  // __x86_64__

}  // namespace

void gemm_accumulate(int64_t M, int64_t N, int64_t R, const float* a, int64_t sam, int64_t sar,
                     const float* b, int64_t ldb, float* c, int64_t ldc) {
    if (M <= 0 || N <= 0 || R <= 0) return;
#if defined(__x86_64__)
    switch (cpu_path_active()) {
        case CpuPath::avx512:
            return gemm_avx512(M, N, R, a, sam, sar, b, ldb, c, ldc);
        case CpuPath::avx2:
        case CpuPath::avx_vnni:
            return gemm_avx2(M, N, R, a, sam, sar, b, ldb, c, ldc);
        default:
            break;
    }
#endif
    gemm_portable(M, N, R, a, sam, sar, b, ldb, c, ldc);
}

}  // namespace engine::cpu
