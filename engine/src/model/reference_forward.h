// A deliberately plain forward pass used as ground truth by the tests:
// single-threaded, weights dequantized row by row to float, every sum in
// double, no KV cache (the whole sequence from position 0 each call). It
// shares nothing with the fast path except the loaded weights and dequantize_row.
#pragma once

#include <cstdint>
#include <span>

#include "engine/model.h"

namespace engine {

class LoraAdapter;

// logits: [n_vocab] (LogitsMode::last) or [tokens.size(), n_vocab] (all), tokens at positions 0..n-1.
Status reference_forward(const Model& model, std::span<const int32_t> tokens, LogitsMode mode, float* logits,
                         const LoraAdapter* adapter = nullptr);

}  // namespace engine
