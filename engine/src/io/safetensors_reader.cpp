// safetensors reader: header validation and zero-copy tensor views.
#include <algorithm>
#include <cstring>
#include <limits>

#include "engine/safetensors.h"

namespace engine {
namespace {

// The format's own cap (the reference implementation rejects larger headers).
constexpr uint64_t kMaxHeaderBytes = 100u << 20;
constexpr size_t kMaxDims = 8;
// Header nesting is 3 deep at most; anything deeper is not a safetensors header.
constexpr int kMaxHeaderDepth = 8;

// dtypes other tools write that the engine does not load; named in errors so
// the user learns what the file holds rather than "unknown".
constexpr std::string_view kKnownUnsupported[] = {"F64",  "I64", "I32",     "I16",     "I8",      "U8",
                                                  "U16",  "U32", "U64",     "BOOL",    "F8_E4M3", "F8_E5M2",
                                                  "E8M0", "F4",  "F6_E2M3", "F6_E3M2", "C64"};

std::string shape_text(const std::vector<int64_t>& shape) {
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i) {
        if (i) s += ", ";
        s += std::to_string(shape[i]);
    }
    return s + "]";
}

}  // namespace

std::optional<DType> safetensors_dtype(std::string_view name) {
    if (name == "F32") return DType::F32;
    if (name == "F16") return DType::F16;
    if (name == "BF16") return DType::BF16;
    return std::nullopt;
}

std::string_view safetensors_dtype_name(DType type) {
    switch (type) {
        case DType::F32:
            return "F32";
        case DType::F16:
            return "F16";
        case DType::BF16:
            return "BF16";
        default:
            return "";
    }
}

class SafetensorsParser {
public:
    SafetensorsParser(const uint8_t* data, size_t size, const std::string& origin)
        : data_(data), size_(size), origin_(origin) {}

    Status run(SafetensorsFile& file);

private:
    Error fail(const std::string& what) const { return make_error("[safetensors] " + origin_ + ": " + what); }
    Error fail_tensor(const std::string& name, const std::string& what) const {
        return fail("tensor '" + name + "' " + what);
    }
    Status read_tensor(const std::string& name, const json::Value& entry, uint64_t data_size,
                       SafetensorsTensor& out) const;

    const uint8_t* data_;
    size_t size_;
    const std::string& origin_;
};

Status SafetensorsParser::read_tensor(const std::string& name, const json::Value& entry, uint64_t data_size,
                                      SafetensorsTensor& out) const {
    if (!entry.is_object())
        return fail_tensor(
            name, "is described by a " + std::string(json::type_name(entry.type())) + ", expected an object");
    const json::Value* dtype = entry.find("dtype");
    if (!dtype || !dtype->is_string()) return fail_tensor(name, "has no \"dtype\" string");
    auto type = safetensors_dtype(dtype->as_string());
    if (!type) {
        const std::string& d = dtype->as_string();
        bool known = std::find(std::begin(kKnownUnsupported), std::end(kKnownUnsupported), d) !=
                     std::end(kKnownUnsupported);
        return fail_tensor(name, (known ? "has dtype " + d + ", which the engine does not load"
                                        : "has unknown dtype '" + d.substr(0, 32) + "'") +
                                     " (supported: F32, F16, BF16)");
    }
    const uint64_t elem_size = dtype_info(*type).block_bytes;

    const json::Value* shape = entry.find("shape");
    if (!shape || !shape->is_array()) return fail_tensor(name, "has no \"shape\" array");
    if (shape->size() > kMaxDims)
        return fail_tensor(name, "has " + std::to_string(shape->size()) + " dimensions (at most " +
                                     std::to_string(kMaxDims) + ")");
    // Elements and bytes must stay below 2^63 so every later size computation is exact.
    const uint64_t max_bytes = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
    uint64_t elements = 1;
    bool overflow = false;
    for (const json::Value& d : shape->as_array()) {
        if (!d.is_int() || d.as_int() < 0)
            return fail_tensor(name, "has an invalid dimension " + json::dump(d) + " in its shape");
        out.shape.push_back(d.as_int());
        uint64_t next = 0;
        if (__builtin_mul_overflow(elements, static_cast<uint64_t>(d.as_int()), &next)) overflow = true;
        elements = next;
    }
    uint64_t n_bytes = 0;
    if (overflow || __builtin_mul_overflow(elements, elem_size, &n_bytes) || n_bytes > max_bytes)
        return fail_tensor(name, "shape " + shape_text(out.shape) + " overflows (too many elements)");

    const json::Value* offsets = entry.find("data_offsets");
    if (!offsets || !offsets->is_array() || offsets->size() != 2)
        return fail_tensor(name, "has no \"data_offsets\" pair");
    const json::Value& begin = (*offsets)[0];
    const json::Value& end = (*offsets)[1];
    if (!begin.is_int() || !end.is_int() || begin.as_int() < 0 || end.as_int() < 0)
        return fail_tensor(name, "has invalid data_offsets " + json::dump(*offsets));
    auto b = static_cast<uint64_t>(begin.as_int());
    auto e = static_cast<uint64_t>(end.as_int());
    if (b > e)
        return fail_tensor(
            name, "has reversed data_offsets [" + std::to_string(b) + ", " + std::to_string(e) + "]");
    if (e > data_size)
        return fail_tensor(name, "data_offsets [" + std::to_string(b) + ", " + std::to_string(e) +
                                     "] are out of range (the data section has " + std::to_string(data_size) +
                                     " bytes)");
    if (e - b != n_bytes)
        return fail_tensor(name, "shape " + shape_text(out.shape) + " of " + dtype->as_string() + " needs " +
                                     std::to_string(n_bytes) + " bytes but data_offsets span " +
                                     std::to_string(e - b) + " (shape mismatch)");
    out.name = name;
    out.offset = b;
    out.n_bytes = n_bytes;

    TensorView& v = out.view;
    v.type = *type;
    size_t n = out.shape.size();
    v.n_dims = static_cast<int>(std::min<size_t>(n, 4));
    for (size_t i = 0; i < n; ++i) {
        size_t d = std::min<size_t>(i, 3);  // dims beyond the 4th fold into ne[3]
        int64_t extent = out.shape[n - 1 - i];
        v.ne[d] = i <= 3 ? extent : v.ne[d] * extent;
    }
    return {};
}

Status SafetensorsParser::run(SafetensorsFile& file) {
    if (size_ < 8)
        return fail("file of " + std::to_string(size_) +
                    " bytes is too short to be safetensors (no header length)");
    uint64_t header_len = 0;
    std::memcpy(&header_len, data_, 8);
    if (header_len > size_ - 8)
        return fail("header length " + std::to_string(header_len) + " runs past the end of the file (" +
                    std::to_string(size_) + " bytes)");
    if (header_len > kMaxHeaderBytes)
        return fail("header length " + std::to_string(header_len) + " exceeds the 100 MB limit");
    std::string_view header(reinterpret_cast<const char*>(data_ + 8), header_len);
    if (header.empty() || header[0] != '{')
        return fail("header is not a JSON object (it must start with '{')");
    json::ParseOptions options;
    options.max_depth = kMaxHeaderDepth;
    auto parsed = json::parse(header, options);
    if (!parsed) return fail("header is not valid JSON: " + parsed.error().message.substr(7));
    if (!parsed->is_object()) return fail("header is not a JSON object");

    file.data_offset_ = 8 + header_len;
    const uint64_t data_size = size_ - file.data_offset_;
    const uint8_t* data_start = data_ + file.data_offset_;

    for (const json::Member& m : parsed->as_object()) {
        if (m.key == "__metadata__") {
            if (!m.value.is_object()) return fail("__metadata__ is not an object");
            for (const json::Member& kv : m.value.as_object()) {
                if (!kv.value.is_string())
                    return fail("__metadata__ value for '" + kv.key + "' is a " +
                                std::string(json::type_name(kv.value.type())) + ", expected a string");
                file.metadata_.emplace_back(kv.key, kv.value.as_string());
            }
            continue;
        }
        SafetensorsTensor tensor;
        ENGINE_TRY(read_tensor(m.key, m.value, data_size, tensor));
        file.index_.emplace(tensor.name, file.tensors_.size());  // JSON parsing already rejected duplicates
        file.tensors_.push_back(std::move(tensor));
    }

    // No two non-empty tensors may share bytes.
    std::vector<const SafetensorsTensor*> order;
    for (const auto& t : file.tensors_)
        if (t.n_bytes) order.push_back(&t);
    std::sort(order.begin(), order.end(),
              [](const SafetensorsTensor* a, const SafetensorsTensor* b) { return a->offset < b->offset; });
    for (size_t i = 1; i < order.size(); ++i)
        if (order[i]->offset < order[i - 1]->offset + order[i - 1]->n_bytes)
            return fail("tensor '" + order[i]->name + "' overlaps tensor '" + order[i - 1]->name +
                        "' (data_offsets " + std::to_string(order[i]->offset) + " < " +
                        std::to_string(order[i - 1]->offset + order[i - 1]->n_bytes) + ")");

    for (auto& t : file.tensors_) {
        const uint8_t* p = data_start + t.offset;
        size_t elem = dtype_info(t.view.type).block_bytes;
        if (reinterpret_cast<uintptr_t>(p) % elem != 0) {
            // Older writers did not pad the header; copy rather than hand out misaligned floats.
            std::shared_ptr<uint8_t[]> copy(new uint8_t[t.n_bytes ? t.n_bytes : 1]);
            std::memcpy(copy.get(), p, t.n_bytes);
            p = copy.get();
            file.aligned_copies_.push_back(std::move(copy));
        }
        t.view.data = p;
    }
    return {};
}

Result<SafetensorsFile> SafetensorsFile::parse(const uint8_t* data, size_t size, std::string origin) {
    SafetensorsFile file;
    file.origin_ = std::move(origin);
    SafetensorsParser parser(data, size, file.origin_);
    ENGINE_TRY(parser.run(file));
    return file;
}

Result<SafetensorsFile> SafetensorsFile::open(const std::string& path) {
    auto mapped = MappedFile::open(path);
    if (!mapped) return make_error("[safetensors] " + mapped.error().message);
    auto shared = std::make_shared<MappedFile>(std::move(*mapped));
    auto parsed = parse(shared->data(), shared->size(), path);
    if (!parsed) return parsed.error();
    parsed->file_ = std::move(shared);
    return parsed;
}

const SafetensorsTensor* SafetensorsFile::find(std::string_view name) const {
    auto it = index_.find(std::string(name));
    return it == index_.end() ? nullptr : &tensors_[it->second];
}

std::optional<std::string_view> SafetensorsFile::metadata_value(std::string_view key) const {
    for (const auto& [k, v] : metadata_)
        if (k == key) return std::string_view(v);
    return std::nullopt;
}

}  // namespace engine
