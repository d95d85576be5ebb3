// A non-owning view of a tensor's bytes, in ggml dimension order.
//
// Convention used throughout the engine: ne[0] is the innermost, contiguous
// dimension. A linear layer y = W x with W of PyTorch shape [out, in] is stored
// with ne = {in, out}: each of the `out` rows holds `in` elements (quantized in
// blocks along `in`). Activations are row-major float [n_tokens, n_features].
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "engine/dtype.h"

namespace engine {

struct TensorView {
    DType type = DType::F32;
    int n_dims = 0;
    std::array<int64_t, 4> ne{1, 1, 1, 1};
    const uint8_t* data = nullptr;

    int64_t n_elements() const { return ne[0] * ne[1] * ne[2] * ne[3]; }
    int64_t n_rows() const { return ne[1] * ne[2] * ne[3]; }
    size_t row_bytes() const { return dtype_row_bytes(type, ne[0]); }
    size_t n_bytes() const { return row_bytes() * static_cast<size_t>(n_rows()); }
    const uint8_t* row(int64_t r) const { return data + static_cast<size_t>(r) * row_bytes(); }
};

}  // namespace engine
