// GGUF v2/v3 reader (memory-mapped, zero-copy, strictly validated) and writer.
//
// Layout (little-endian): "GGUF", u32 version, u64 tensor_count, u64 kv_count,
// kv_count x (string key, u32 type, value), tensor_count x (string name,
// u32 n_dims, u64 ne[n_dims], u32 ggml_type, u64 offset), padding to the
// alignment (general.alignment, default 32), then tensor data at
// data_start + offset. Strings are u64 length + bytes without terminator.
// Every count, length, offset and size is checked against the file before it
// is used, so a truncated or hostile file yields an Error, never a crash.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/mapped_file.h"
#include "engine/result.h"
#include "engine/tensor_view.h"

namespace engine {

enum class GgufType : uint32_t {
    u8 = 0,
    i8 = 1,
    u16 = 2,
    i16 = 3,
    u32 = 4,
    i32 = 5,
    f32 = 6,
    boolean = 7,
    string = 8,
    array = 9,
    u64 = 10,
    i64 = 11,
    f64 = 12,
};

std::string_view gguf_type_name(GgufType type);

// One metadata value. Scalars are widened into `integer`/`real`/`boolean`;
// strings and the elements of arrays point into the file (zero-copy).
struct GgufValue {
    GgufType type = GgufType::u8;
    int64_t integer = 0;  // every integer type (u64 values above INT64_MAX are rejected)
    double real = 0.0;    // f32 and f64
    bool boolean = false;
    std::string_view string;

    // Arrays: elem_type and count; numeric elements stay raw (little-endian)
    // at `raw`, string elements are listed in `strings`, nested arrays in `items`.
    GgufType elem_type = GgufType::u8;
    uint64_t count = 0;
    const uint8_t* raw = nullptr;
    std::vector<std::string_view> strings;
    std::vector<GgufValue> items;
};

struct GgufTensor {
    std::string_view name;
    uint64_t offset = 0;  // relative to the start of the data section
    TensorView view;      // type, dims and bytes inside the mapping
};

class GgufFile {
public:
    // Maps and validates the file at `path`.
    static Result<GgufFile> open(const std::string& path);
    // Parses a buffer the caller keeps alive (fuzzing, embedded data).
    static Result<GgufFile> parse(const uint8_t* data, size_t size, std::string origin = "<memory>");

    uint32_t version() const { return version_; }
    uint32_t alignment() const { return alignment_; }
    uint64_t data_offset() const { return data_offset_; }
    const std::string& origin() const { return origin_; }

    // Metadata in file order.
    const std::vector<std::pair<std::string_view, GgufValue>>& metadata() const { return kvs_; }
    const GgufValue* find(std::string_view key) const;
    std::optional<std::string_view> get_string(std::string_view key) const;
    std::optional<int64_t> get_int(std::string_view key) const;   // any integer type
    std::optional<double> get_float(std::string_view key) const;  // f32, f64 or integer
    std::optional<bool> get_bool(std::string_view key) const;
    // Arrays; an Error when the key exists with another type.
    Result<std::vector<std::string_view>> get_string_array(std::string_view key) const;
    Result<std::vector<float>> get_float_array(std::string_view key) const;
    Result<std::vector<int64_t>> get_int_array(std::string_view key) const;

    const std::vector<GgufTensor>& tensors() const { return tensors_; }
    const GgufTensor* find_tensor(std::string_view name) const;

private:
    friend class GgufParser;
    std::shared_ptr<MappedFile> file_;  // null when parsing caller-owned memory
    std::string origin_;
    uint32_t version_ = 0;
    uint32_t alignment_ = 32;
    uint64_t data_offset_ = 0;
    std::vector<std::pair<std::string_view, GgufValue>> kvs_;
    std::unordered_map<std::string_view, size_t> kv_index_;
    std::vector<GgufTensor> tensors_;
    std::unordered_map<std::string_view, size_t> tensor_index_;
};

// Builds a GGUF file in memory order: metadata, tensor infos, aligned data.
class GgufWriter {
public:
    explicit GgufWriter(uint32_t alignment = 32) : alignment_(alignment) {}

    void set_u32(std::string key, uint32_t value);
    void set_i32(std::string key, int32_t value);
    void set_u64(std::string key, uint64_t value);
    void set_f32(std::string key, float value);
    void set_bool(std::string key, bool value);
    void set_string(std::string key, std::string value);
    void set_string_array(std::string key, std::vector<std::string> values);
    void set_f32_array(std::string key, std::vector<float> values);
    void set_i32_array(std::string key, std::vector<int32_t> values);
    // Any value read by GgufFile, with its type kept (e.g. to copy a model's metadata).
    void set_value(std::string key, const GgufValue& value);

    // `data` holds the tensor's bytes in `type` (dtype_row_bytes(type, ne[0]) per row).
    // ne is in ggml order (ne[0] innermost); unused trailing dims are 1.
    Status add_tensor(std::string name, DType type, std::vector<int64_t> ne, std::vector<uint8_t> data);

    // Serializes everything; write() goes through a temporary file and a rename,
    // so a crash never leaves a half-written model behind.
    std::vector<uint8_t> to_bytes() const;
    Status write(const std::string& path) const;

private:
    struct Entry {
        std::string key;
        GgufType type;
        std::vector<uint8_t> payload;  // encoded value (without key and type)
    };
    struct Tensor {
        std::string name;
        DType type;
        std::vector<int64_t> ne;
        std::vector<uint8_t> data;
    };
    void set_raw(std::string key, GgufType type, std::vector<uint8_t> payload);
    uint32_t alignment_;
    std::vector<Entry> entries_;
    std::vector<Tensor> tensors_;
};

}  // namespace engine
