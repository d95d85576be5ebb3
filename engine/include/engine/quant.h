// Reference conversions between float and the GGUF weight types.
//
// dequantize_row reproduces ggml's reference formulas bit for bit (the fp16
// scales are widened to fp32 first, then the same float operations in the same
// order). quantize_row is a simple round-to-nearest quantizer meant for writing
// test models, not for shipping quants: for the 32-element types it matches
// ggml/gguf-py; for K-quants it picks scales from each block's max/min.
#pragma once

#include <cstdint>

#include "engine/dtype.h"
#include "engine/result.h"

namespace engine {

// IEEE binary16 <-> binary32; fp32_to_fp16 rounds to nearest even, overflows to
// infinity and keeps NaN a (quiet) NaN.
float fp16_to_fp32(uint16_t h);
uint16_t fp32_to_fp16(float f);

// bfloat16 is the top half of a binary32; fp32_to_bf16 rounds to nearest even
// and turns NaN into a quiet NaN (as gguf-py and ggml do).
float bf16_to_fp32(uint16_t h);
uint16_t fp32_to_bf16(float f);

// True for the types dequantize_row / quantize_row handle: F32, F16, BF16,
// Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K.
bool quant_supported(DType type);

// Expands n elements (n a multiple of the type's block size) of one row.
// Precondition: quant_supported(type) and n % block_size == 0, which callers
// check when they load a tensor; otherwise dst is filled with NaN.
void dequantize_row(DType type, const void* src, float* dst, int64_t n);

// Quantizes n floats into dtype_row_bytes(type, n) bytes at dst.
Status quantize_row(DType type, const float* src, void* dst, int64_t n);

}  // namespace engine
