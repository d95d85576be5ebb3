// Reference quantizers. The 32-element types follow ggml's reference
// quantizers (and gguf-py, which copies them) exactly, so files we write match
// files those tools write. The K-quant quantizers are simple and deterministic:
// each sub-block's scale/min comes from its max/min, the super-block scales
// from the largest of those, then every weight is rounded to nearest.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "engine/quant.h"
#include "quant/blocks.h"

namespace engine {
namespace {

using namespace quant;

// Element of largest magnitude, keeping its sign (first one on ties).
float signed_absmax(const float* x, int n) {
    float amax = 0.0f, max = 0.0f;
    for (int j = 0; j < n; ++j) {
        if (std::fabs(x[j]) > amax) {
            amax = std::fabs(x[j]);
            max = x[j];
        }
    }
    return max;
}

void min_max(const float* x, int n, float& mn, float& mx) {
    mn = x[0];
    mx = x[0];
    for (int j = 1; j < n; ++j) {
        mn = std::min(mn, x[j]);
        mx = std::max(mx, x[j]);
    }
}

int trunc_clamp(float v, int hi) { return std::clamp(static_cast<int>(std::trunc(v)), 0, hi); }

void quant_q4_0(const float* x, BlockQ4_0* y, int64_t nb) {
    for (int64_t i = 0; i < nb; ++i, x += kQK) {
        const float d = signed_absmax(x, kQK) / -8.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = fp32_to_fp16(d);
        for (int j = 0; j < 16; ++j) {
            const int q0 = trunc_clamp(x[j] * id + 8.5f, 15);
            const int q1 = trunc_clamp(x[j + 16] * id + 8.5f, 15);
            y[i].qs[j] = static_cast<uint8_t>(q0 | (q1 << 4));
        }
    }
}

void quant_q4_1(const float* x, BlockQ4_1* y, int64_t nb) {
    for (int64_t i = 0; i < nb; ++i, x += kQK) {
        float mn, mx;
        min_max(x, kQK, mn, mx);
        const float d = (mx - mn) / 15.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = fp32_to_fp16(d);
        y[i].m = fp32_to_fp16(mn);
        for (int j = 0; j < 16; ++j) {
            const int q0 = trunc_clamp((x[j] - mn) * id + 0.5f, 15);
            const int q1 = trunc_clamp((x[j + 16] - mn) * id + 0.5f, 15);
            y[i].qs[j] = static_cast<uint8_t>(q0 | (q1 << 4));
        }
    }
}

void pack_q5(const int* q, uint8_t* qs, uint8_t* qh_bytes) {
    uint32_t qh = 0;
    for (int j = 0; j < 16; ++j) {
        qs[j] = static_cast<uint8_t>((q[j] & 0xF) | ((q[j + 16] & 0xF) << 4));
        qh |= static_cast<uint32_t>(q[j] >> 4) << j;
        qh |= static_cast<uint32_t>(q[j + 16] >> 4) << (j + 16);
    }
    std::memcpy(qh_bytes, &qh, 4);
}

void quant_q5_0(const float* x, BlockQ5_0* y, int64_t nb) {
    for (int64_t i = 0; i < nb; ++i, x += kQK) {
        const float d = signed_absmax(x, kQK) / -16.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = fp32_to_fp16(d);
        int q[kQK];
        for (int j = 0; j < kQK; ++j) q[j] = trunc_clamp(x[j] * id + 16.5f, 31);
        pack_q5(q, y[i].qs, y[i].qh);
    }
}

void quant_q5_1(const float* x, BlockQ5_1* y, int64_t nb) {
    for (int64_t i = 0; i < nb; ++i, x += kQK) {
        float mn, mx;
        min_max(x, kQK, mn, mx);
        const float d = (mx - mn) / 31.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = fp32_to_fp16(d);
        y[i].m = fp32_to_fp16(mn);
        int q[kQK];
        for (int j = 0; j < kQK; ++j) q[j] = trunc_clamp((x[j] - mn) * id + 0.5f, 31);
        pack_q5(q, y[i].qs, y[i].qh);
    }
}

void quant_q8_0(const float* x, BlockQ8_0* y, int64_t nb) {
    for (int64_t i = 0; i < nb; ++i, x += kQK) {
        float amax = 0.0f;
        for (int j = 0; j < kQK; ++j) amax = std::max(amax, std::fabs(x[j]));
        const float d = amax / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = fp32_to_fp16(d);
        for (int j = 0; j < kQK; ++j) y[i].qs[j] = static_cast<int8_t>(std::round(x[j] * id));
    }
}

// Packs 8 six-bit (scale, min) pairs into the 12-byte layout get_scale_min_k4 reads.
void pack_scales_k4(const uint8_t* sc, const uint8_t* m, uint8_t* out) {
    for (int j = 0; j < 4; ++j) {
        out[j] = static_cast<uint8_t>((sc[j] & 63) | ((sc[j + 4] >> 4) << 6));
        out[j + 4] = static_cast<uint8_t>((m[j] & 63) | ((m[j + 4] >> 4) << 6));
        out[j + 8] = static_cast<uint8_t>((sc[j + 4] & 0xF) | ((m[j + 4] & 0xF) << 4));
    }
}

// Shared by Q4_K (levels = 15) and Q5_K (levels = 31): per 32-element sub-block
// x ~= (d*sc) * q - dmin*m with q in [0, levels]; writes q[256], d, dmin, packed scales.
void quant_k_asym(const float* x, int levels, int* q, uint16_t& d_out, uint16_t& dmin_out, uint8_t* scales) {
    float sub_scale[8], sub_min[8];  // min stored as a positive offset: x + min >= 0
    float max_scale = 0.0f, max_min = 0.0f;
    for (int j = 0; j < 8; ++j) {
        float mn, mx;
        min_max(x + 32 * j, 32, mn, mx);
        mn = std::min(mn, 0.0f);  // the format subtracts a non-negative min
        sub_scale[j] = (mx - mn) / static_cast<float>(levels);
        sub_min[j] = -mn;
        max_scale = std::max(max_scale, sub_scale[j]);
        max_min = std::max(max_min, sub_min[j]);
    }
    d_out = fp32_to_fp16(max_scale / 63.0f);
    dmin_out = fp32_to_fp16(max_min / 63.0f);
    const float d = fp16_to_fp32(d_out), dmin = fp16_to_fp32(dmin_out);
    uint8_t sc[8], m[8];
    for (int j = 0; j < 8; ++j) {
        sc[j] = static_cast<uint8_t>(d > 0.0f ? std::clamp(std::lround(sub_scale[j] / d), 0L, 63L) : 0);
        m[j] = static_cast<uint8_t>(dmin > 0.0f ? std::clamp(std::lround(sub_min[j] / dmin), 0L, 63L) : 0);
        const float eff_d = d * sc[j], eff_m = dmin * m[j];
        for (int l = 0; l < 32; ++l) {
            const float v = eff_d > 0.0f ? (x[32 * j + l] + eff_m) / eff_d : 0.0f;
            q[32 * j + l] = static_cast<int>(std::clamp(std::lround(v), 0L, static_cast<long>(levels)));
        }
    }
    pack_scales_k4(sc, m, scales);
}

void quant_q4_k(const float* x, BlockQ4_K* y, int64_t nb) {
    for (int64_t i = 0; i < nb; ++i, x += kQKK) {
        int q[kQKK];
        quant_k_asym(x, 15, q, y[i].d, y[i].dmin, y[i].scales);
        for (int c = 0; c < 4; ++c)  // 64 elements per 32 bytes: low nibble sub-block 2c, high 2c+1
            for (int l = 0; l < 32; ++l)
                y[i].qs[32 * c + l] = static_cast<uint8_t>(q[64 * c + l] | (q[64 * c + 32 + l] << 4));
    }
}

void quant_q5_k(const float* x, BlockQ5_K* y, int64_t nb) {
    for (int64_t i = 0; i < nb; ++i, x += kQKK) {
        int q[kQKK];
        quant_k_asym(x, 31, q, y[i].d, y[i].dmin, y[i].scales);
        std::memset(y[i].qh, 0, sizeof y[i].qh);
        for (int c = 0; c < 4; ++c) {
            for (int l = 0; l < 32; ++l) {
                const int lo = q[64 * c + l], hi = q[64 * c + 32 + l];
                y[i].qs[32 * c + l] = static_cast<uint8_t>((lo & 0xF) | ((hi & 0xF) << 4));
                y[i].qh[l] |= static_cast<uint8_t>(((lo >> 4) << (2 * c)) | ((hi >> 4) << (2 * c + 1)));
            }
        }
    }
}

void quant_q6_k(const float* x, BlockQ6_K* y, int64_t nb) {
    for (int64_t i = 0; i < nb; ++i, x += kQKK) {
        // Per 16-element sub-block a signed scale with q in [-32, 31]; scales are int8 of d.
        float sub_scale[16];
        float max_abs_scale = 0.0f;
        for (int j = 0; j < 16; ++j) {
            sub_scale[j] = signed_absmax(x + 16 * j, 16) / -32.0f;
            max_abs_scale = std::max(max_abs_scale, std::fabs(sub_scale[j]));
        }
        y[i].d = fp32_to_fp16(max_abs_scale / 127.0f);
        const float d = fp16_to_fp32(y[i].d);
        int q[kQKK];
        for (int j = 0; j < 16; ++j) {
            const long s = d > 0.0f ? std::clamp(std::lround(sub_scale[j] / d), -127L, 127L) : 0;
            y[i].scales[j] = static_cast<int8_t>(s);
            const float eff = d * static_cast<float>(s);
            for (int l = 0; l < 16; ++l) {
                const long v = eff != 0.0f ? std::lround(x[16 * j + l] / eff) : 0;
                q[16 * j + l] = static_cast<int>(std::clamp(v, -32L, 31L)) + 32;
            }
        }
        // Per 128 elements: ql[0..63] holds elements l and l+64 (low, high nibble) for l < 32 and
        // l+32 / l+96 in ql[32..63]; qh[l] holds the top 2 bits of l, l+32, l+64, l+96.
        for (int h = 0; h < 2; ++h) {
            uint8_t* ql = y[i].ql + 64 * h;
            uint8_t* qh = y[i].qh + 32 * h;
            const int* qq = q + 128 * h;
            for (int l = 0; l < 32; ++l) {
                const int q1 = qq[l], q2 = qq[l + 32], q3 = qq[l + 64], q4 = qq[l + 96];
                ql[l] = static_cast<uint8_t>((q1 & 0xF) | ((q3 & 0xF) << 4));
                ql[l + 32] = static_cast<uint8_t>((q2 & 0xF) | ((q4 & 0xF) << 4));
                qh[l] =
                    static_cast<uint8_t>((q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6));
            }
        }
    }
}

}  // namespace

Status quantize_row(DType type, const float* src, void* dst, int64_t n) {
    if (!quant_supported(type))
        return make_error("[quantize_row] unsupported type " + std::string(dtype_name(type)));
    const int64_t bs = dtype_info(type).block_size;
    if (n < 0 || n % bs != 0)
        return make_error("[quantize_row] n=" + std::to_string(n) + " is not a multiple of the " +
                          std::string(dtype_name(type)) + " block size " + std::to_string(bs));
    const int64_t nb = n / bs;
    switch (type) {
        case DType::F32:
            std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
            break;
        case DType::F16: {
            auto* h = static_cast<uint16_t*>(dst);
            for (int64_t i = 0; i < n; ++i) h[i] = fp32_to_fp16(src[i]);
            break;
        }
        case DType::BF16: {
            auto* h = static_cast<uint16_t*>(dst);
            for (int64_t i = 0; i < n; ++i) h[i] = fp32_to_bf16(src[i]);
            break;
        }
        case DType::Q8_0:
            quant_q8_0(src, static_cast<BlockQ8_0*>(dst), nb);
            break;
        case DType::Q4_0:
            quant_q4_0(src, static_cast<BlockQ4_0*>(dst), nb);
            break;
        case DType::Q4_1:
            quant_q4_1(src, static_cast<BlockQ4_1*>(dst), nb);
            break;
        case DType::Q5_0:
            quant_q5_0(src, static_cast<BlockQ5_0*>(dst), nb);
            break;
        case DType::Q5_1:
            quant_q5_1(src, static_cast<BlockQ5_1*>(dst), nb);
            break;
        case DType::Q4_K:
            quant_q4_k(src, static_cast<BlockQ4_K*>(dst), nb);
            break;
        case DType::Q5_K:
            quant_q5_k(src, static_cast<BlockQ5_K*>(dst), nb);
            break;
        case DType::Q6_K:
            quant_q6_k(src, static_cast<BlockQ6_K*>(dst), nb);
            break;
        default:
            break;
    }
    return {};
}

}  // namespace engine
