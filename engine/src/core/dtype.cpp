#include "engine/dtype.h"

#include <array>
#include <cctype>

namespace engine {
namespace {

// Block geometry from the GGUF specification (see shared research engine.md §1.3).
constexpr std::array<DTypeInfo, 20> kTypes = {{
    {DType::F32, "f32", 1, 4, true},       {DType::F16, "f16", 1, 2, true},
    {DType::Q4_0, "q4_0", 32, 18, true},   {DType::Q4_1, "q4_1", 32, 20, true},
    {DType::Q5_0, "q5_0", 32, 22, true},   {DType::Q5_1, "q5_1", 32, 24, true},
    {DType::Q8_0, "q8_0", 32, 34, true},   {DType::Q8_1, "q8_1", 32, 36, false},
    {DType::Q2_K, "q2_K", 256, 84, false}, {DType::Q3_K, "q3_K", 256, 110, false},
    {DType::Q4_K, "q4_K", 256, 144, true}, {DType::Q5_K, "q5_K", 256, 176, true},
    {DType::Q6_K, "q6_K", 256, 210, true}, {DType::Q8_K, "q8_K", 256, 292, false},
    {DType::I8, "i8", 1, 1, false},        {DType::I16, "i16", 1, 2, false},
    {DType::I32, "i32", 1, 4, false},      {DType::I64, "i64", 1, 8, false},
    {DType::F64, "f64", 1, 8, false},      {DType::BF16, "bf16", 1, 2, true},
}};

}  // namespace

std::optional<DTypeInfo> dtype_info(uint32_t raw_type) {
    for (const auto& info : kTypes)
        if (static_cast<uint32_t>(info.type) == raw_type) return info;
    return std::nullopt;
}

DTypeInfo dtype_info(DType type) { return *dtype_info(static_cast<uint32_t>(type)); }

std::string_view dtype_name(DType type) { return dtype_info(type).name; }

std::optional<DType> dtype_from_name(std::string_view name) {
    for (const auto& info : kTypes) {
        if (info.name.size() != name.size()) continue;
        bool same = true;
        for (size_t i = 0; i < name.size() && same; ++i)
            same = std::tolower(static_cast<unsigned char>(info.name[i])) ==
                   std::tolower(static_cast<unsigned char>(name[i]));
        if (same) return info.type;
    }
    return std::nullopt;
}

size_t dtype_row_bytes(DType type, int64_t n) {
    DTypeInfo info = dtype_info(type);
    return static_cast<size_t>(n / info.block_size * info.block_bytes);
}

}  // namespace engine
