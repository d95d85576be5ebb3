// Conversions between tensor bytes and float vectors shared by the adapter readers and writers.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include "engine/quant.h"
#include "engine/tensor_view.h"

namespace finetune {

// Every element of a tensor of any dequantizable type, row after row.
inline std::vector<float> to_f32(const engine::TensorView& v) {
    std::vector<float> out(static_cast<size_t>(v.n_elements()));
    for (int64_t r = 0; r < v.n_rows(); ++r)
        engine::dequantize_row(v.type, v.row(r), &out[size_t(r * v.ne[0])], v.ne[0]);
    return out;
}

inline std::vector<uint8_t> f32_bytes(const std::vector<float>& values) {
    std::vector<uint8_t> bytes(values.size() * sizeof(float));
    if (!values.empty()) std::memcpy(bytes.data(), values.data(), bytes.size());
    return bytes;
}

}  // namespace finetune
