// safetensors reader (memory-mapped, strictly validated), sharded checkpoints
// and a writer.
//
// Layout: u64 little-endian header length N, N bytes of JSON header, then the
// data section. The header maps tensor names to
//   {"dtype": "F32"|"F16"|"BF16"|..., "shape": [d0, d1, ...], "data_offsets": [begin, end]}
// (offsets relative to the data section) plus an optional "__metadata__"
// object of string -> string. Shapes are PyTorch order (outermost first); the
// engine's TensorView uses ggml order, so shape [out, in] becomes ne = {in, out}.
// Everything is checked before use: a truncated or hostile file yields an
// Error naming the problem, never a crash or an out-of-range read.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/json.h"
#include "engine/mapped_file.h"
#include "engine/result.h"
#include "engine/tensor_view.h"

namespace engine {

// "F32" -> F32, "F16" -> F16, "BF16" -> BF16; nullopt for every other dtype.
std::optional<DType> safetensors_dtype(std::string_view name);
std::string_view safetensors_dtype_name(DType type);  // "" for types safetensors files cannot hold here

struct SafetensorsTensor {
    std::string name;
    std::vector<int64_t> shape;  // as in the file, outermost first (PyTorch order)
    uint64_t offset = 0;         // begin, relative to the data section
    uint64_t n_bytes = 0;
    // ggml order: ne[0] = shape.back(). Tensors with more than 4 dims fold their
    // outermost dims into ne[3] (shape keeps the truth). A 0-dim tensor is one element.
    TensorView view;
};

class SafetensorsFile {
public:
    // Maps and validates the file at `path`.
    static Result<SafetensorsFile> open(const std::string& path);
    // Parses a buffer the caller keeps alive (fuzzing, tests).
    static Result<SafetensorsFile> parse(const uint8_t* data, size_t size, std::string origin = "<memory>");

    const std::string& origin() const { return origin_; }
    uint64_t data_offset() const { return data_offset_; }  // 8 + header length

    // In header order.
    const std::vector<SafetensorsTensor>& tensors() const { return tensors_; }
    const SafetensorsTensor* find(std::string_view name) const;
    // "__metadata__" (string values only; empty when absent).
    const std::vector<std::pair<std::string, std::string>>& metadata() const { return metadata_; }
    std::optional<std::string_view> metadata_value(std::string_view key) const;

private:
    friend class SafetensorsParser;
    std::shared_ptr<MappedFile> file_;  // null when parsing caller-owned memory
    // Tensors whose bytes in the file are not aligned to their element size are
    // copied here, so kernels may always read them as float/uint16 arrays.
    std::vector<std::shared_ptr<uint8_t[]>> aligned_copies_;
    std::string origin_;
    uint64_t data_offset_ = 0;
    std::vector<SafetensorsTensor> tensors_;
    std::unordered_map<std::string, size_t> index_;
    std::vector<std::pair<std::string, std::string>> metadata_;
};

// One checkpoint: a single model.safetensors, or the shards listed by a
// model.safetensors.index.json ({"metadata": {...}, "weight_map": {tensor: file}}).
class SafetensorsCheckpoint {
public:
    // `path` is a .safetensors file or an *.index.json; shards are resolved next to the index.
    static Result<SafetensorsCheckpoint> open(const std::string& path);

    const std::vector<SafetensorsFile>& shards() const { return shards_; }
    size_t size() const { return by_name_.size(); }  // tensors over all shards
    const SafetensorsTensor* find(std::string_view name) const;
    // Every tensor, shard by shard in header order.
    std::vector<const SafetensorsTensor*> tensors() const;
    // The index's "metadata" object (e.g. total_size); null for a single file.
    const json::Value& index_metadata() const { return index_metadata_; }

private:
    std::vector<SafetensorsFile> shards_;
    std::unordered_map<std::string, std::pair<size_t, size_t>> by_name_;  // name -> (shard, tensor)
    json::Value index_metadata_;
};

// Collects tensors and metadata and writes a safetensors file: header JSON in
// insertion order, padded with spaces so the data section starts 8-aligned,
// tensors packed in insertion order.
class SafetensorsWriter {
public:
    void set_metadata(std::string key, std::string value);
    // `shape` in PyTorch order; data holds product(shape) elements of `type` (F32, F16 or BF16).
    Status add_tensor(std::string name, DType type, std::vector<int64_t> shape, std::vector<uint8_t> data);
    // Copies a view's bytes; ne (ggml order) is reversed into the file's shape.
    Status add_tensor(std::string name, const TensorView& view);

    std::vector<uint8_t> to_bytes() const;
    // Through a temporary file and a rename: a crash never leaves a half-written file.
    Status write(const std::string& path) const;

private:
    struct Tensor {
        std::string name;
        DType type;
        std::vector<int64_t> shape;
        std::vector<uint8_t> data;
    };
    std::vector<std::pair<std::string, std::string>> metadata_;
    std::vector<Tensor> tensors_;
};

}  // namespace engine
