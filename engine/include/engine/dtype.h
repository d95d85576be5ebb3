// Tensor element types. The numeric values are the GGUF/ggml type ids, so a
// value read from a file maps directly; ids we do not support have no entry.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace engine {

enum class DType : uint32_t {
    F32 = 0,
    F16 = 1,
    Q4_0 = 2,
    Q4_1 = 3,
    Q5_0 = 6,
    Q5_1 = 7,
    Q8_0 = 8,
    Q8_1 = 9,  // activation format for dot products; never a weight type we load
    Q2_K = 10,
    Q3_K = 11,
    Q4_K = 12,
    Q5_K = 13,
    Q6_K = 14,
    Q8_K = 15,  // activation format for K-quant dot products
    I8 = 24,
    I16 = 25,
    I32 = 26,
    I64 = 27,
    F64 = 28,
    BF16 = 30,
};

struct DTypeInfo {
    DType type;
    std::string_view name;  // as llama.cpp prints it: "f32", "q4_K", ...
    int64_t block_size;     // elements per block (1 for plain types)
    int64_t block_bytes;    // bytes per block
    bool weight_supported;  // the engine can compute with tensors of this type
};

// nullopt for ids that are unknown or were removed from ggml.
std::optional<DTypeInfo> dtype_info(uint32_t raw_type);
DTypeInfo dtype_info(DType type);
std::string_view dtype_name(DType type);
std::optional<DType> dtype_from_name(std::string_view name);  // case-insensitive

// Bytes used by n elements of a row; n must be a multiple of the block size.
size_t dtype_row_bytes(DType type, int64_t n);

}  // namespace engine
