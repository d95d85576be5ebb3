#include <algorithm>
#include <cstring>
#include <limits>

#include "engine/gguf.h"

namespace engine {
namespace {

constexpr uint64_t kMaxNameLength = 63;          // ggml's GGML_MAX_NAME - 1
constexpr uint64_t kMaxStringLength = 1u << 30;  // matches ggml's sanity cap
constexpr int kMaxArrayNesting = 4;
constexpr int kMaxDims = 4;

size_t scalar_size(GgufType type) {
    switch (type) {
        case GgufType::u8:
        case GgufType::i8:
        case GgufType::boolean:
            return 1;
        case GgufType::u16:
        case GgufType::i16:
            return 2;
        case GgufType::u32:
        case GgufType::i32:
        case GgufType::f32:
            return 4;
        case GgufType::u64:
        case GgufType::i64:
        case GgufType::f64:
            return 8;
        case GgufType::string:
        case GgufType::array:
            return 0;
    }
    return 0;
}

bool valid_type(uint32_t raw) { return raw <= static_cast<uint32_t>(GgufType::f64); }

template <class T>
T load(const uint8_t* p) {
    T v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

}  // namespace

std::string_view gguf_type_name(GgufType type) {
    static constexpr std::string_view names[] = {"u8",   "i8",     "u16",   "i16", "u32", "i32", "f32",
                                                 "bool", "string", "array", "u64", "i64", "f64"};
    auto index = static_cast<uint32_t>(type);
    return index < std::size(names) ? names[index] : std::string_view("?");
}

// Cursor over the header with bounds checks; every error names the byte offset.
class GgufParser {
public:
    GgufParser(const uint8_t* data, size_t size, std::string origin)
        : data_(data), size_(size), origin_(std::move(origin)) {}

    Result<GgufFile> run(GgufFile file);

private:
    Error fail(const std::string& what) const {
        return make_error("[gguf] " + origin_ + ": " + what + " (at byte " + std::to_string(pos_) + ")");
    }
    bool have(uint64_t n) const { return n <= size_ - pos_; }

    Result<uint64_t> read_u64() {
        if (!have(8)) return fail("file is truncated");
        uint64_t v = load<uint64_t>(data_ + pos_);
        pos_ += 8;
        return v;
    }
    Result<uint32_t> read_u32() {
        if (!have(4)) return fail("file is truncated");
        uint32_t v = load<uint32_t>(data_ + pos_);
        pos_ += 4;
        return v;
    }
    Result<std::string_view> read_string(uint64_t max_length) {
        auto length = read_u64();
        if (!length) return length.error();
        if (*length > max_length)
            return fail("string length " + std::to_string(*length) + " exceeds the limit of " +
                        std::to_string(max_length));
        if (!have(*length)) return fail("string of length " + std::to_string(*length) + " runs past the end");
        std::string_view s(reinterpret_cast<const char*>(data_ + pos_), *length);
        pos_ += *length;
        return s;
    }
    Status read_value(GgufType type, GgufValue& out, int depth);

    const uint8_t* data_;
    size_t size_;
    std::string origin_;
    uint64_t pos_ = 0;
};

Status GgufParser::read_value(GgufType type, GgufValue& out, int depth) {
    out.type = type;
    if (type == GgufType::string) {
        auto s = read_string(kMaxStringLength);
        if (!s) return s.error();
        out.string = *s;
        return {};
    }
    if (type == GgufType::array) {
        if (depth >= kMaxArrayNesting)
            return fail("arrays nested deeper than " + std::to_string(kMaxArrayNesting));
        auto elem = read_u32();
        if (!elem) return elem.error();
        if (!valid_type(*elem)) return fail("unknown array element type " + std::to_string(*elem));
        auto count = read_u64();
        if (!count) return count.error();
        out.elem_type = static_cast<GgufType>(*elem);
        out.count = *count;
        size_t elem_size = scalar_size(out.elem_type);
        // Every element takes at least 8 bytes (a string or array length) or its scalar size,
        // so a count larger than the rest of the file is rejected before anything is allocated.
        uint64_t min_elem = elem_size ? elem_size : 8;
        if (*count > (size_ - pos_) / min_elem)
            return fail("array of " + std::to_string(*count) + " elements runs past the end");
        if (elem_size) {
            out.raw = data_ + pos_;
            pos_ += *count * elem_size;
        } else if (out.elem_type == GgufType::string) {
            out.strings.reserve(*count);
            for (uint64_t i = 0; i < *count; ++i) {
                auto s = read_string(kMaxStringLength);
                if (!s) return s.error();
                out.strings.push_back(*s);
            }
        } else {
            out.items.resize(*count);
            for (uint64_t i = 0; i < *count; ++i)
                ENGINE_TRY(read_value(GgufType::array, out.items[i], depth + 1));
        }
        return {};
    }
    size_t n = scalar_size(type);
    if (!have(n)) return fail("file is truncated inside a " + std::string(gguf_type_name(type)) + " value");
    const uint8_t* p = data_ + pos_;
    pos_ += n;
    switch (type) {
        case GgufType::u8:
            out.integer = load<uint8_t>(p);
            break;
        case GgufType::i8:
            out.integer = load<int8_t>(p);
            break;
        case GgufType::u16:
            out.integer = load<uint16_t>(p);
            break;
        case GgufType::i16:
            out.integer = load<int16_t>(p);
            break;
        case GgufType::u32:
            out.integer = load<uint32_t>(p);
            break;
        case GgufType::i32:
            out.integer = load<int32_t>(p);
            break;
        case GgufType::i64:
            out.integer = load<int64_t>(p);
            break;
        case GgufType::u64: {
            uint64_t v = load<uint64_t>(p);
            if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
                return fail("u64 value too large");
            out.integer = static_cast<int64_t>(v);
            break;
        }
        case GgufType::f32:
            out.real = load<float>(p);
            break;
        case GgufType::f64:
            out.real = load<double>(p);
            break;
        case GgufType::boolean:
            if (*p > 1) return fail("bool value " + std::to_string(*p) + " is neither 0 nor 1");
            out.boolean = *p != 0;
            break;
        default:
            break;
    }
    return {};
}

Result<GgufFile> GgufParser::run(GgufFile file) {
    if (!have(4) || std::memcmp(data_, "GGUF", 4) != 0)
        return fail(size_ < 4 ? "file is too short to be GGUF" : "not a GGUF file (bad magic)");
    pos_ = 4;
    auto version = read_u32();
    if (!version) return version.error();
    if (*version == 0x03000000u || *version == 0x02000000u)
        return fail("big-endian GGUF files are not supported");
    if (*version != 2 && *version != 3)
        return fail("unsupported GGUF version " + std::to_string(*version) + " (expected 2 or 3)");
    file.version_ = *version;
    auto tensor_count = read_u64();
    if (!tensor_count) return tensor_count.error();
    auto kv_count = read_u64();
    if (!kv_count) return kv_count.error();
    // Minimum encoded sizes: a KV is >= 12 bytes, a tensor info >= 24 bytes.
    if (*kv_count > (size_ - pos_) / 12)
        return fail("metadata count " + std::to_string(*kv_count) + " is absurd");
    if (*tensor_count > (size_ - pos_) / 24)
        return fail("tensor count " + std::to_string(*tensor_count) + " is absurd");

    file.kvs_.reserve(*kv_count);
    for (uint64_t i = 0; i < *kv_count; ++i) {
        auto key = read_string(kMaxStringLength);
        if (!key) return key.error();
        auto type = read_u32();
        if (!type) return type.error();
        if (!valid_type(*type))
            return fail("metadata '" + std::string(*key) + "' has unknown type " + std::to_string(*type));
        GgufValue value;
        ENGINE_TRY(read_value(static_cast<GgufType>(*type), value, 0));
        if (!file.kv_index_.emplace(*key, file.kvs_.size()).second)
            return fail("duplicate metadata key '" + std::string(*key) + "'");
        file.kvs_.emplace_back(*key, std::move(value));
    }

    if (const GgufValue* align = file.find("general.alignment")) {
        if (align->type != GgufType::u32) return fail("general.alignment must be u32");
        auto a = static_cast<uint64_t>(align->integer);
        if (a == 0 || (a & (a - 1)) != 0)
            return fail("general.alignment " + std::to_string(a) + " is not a power of two");
        file.alignment_ = static_cast<uint32_t>(a);
    }

    file.tensors_.reserve(*tensor_count);
    for (uint64_t i = 0; i < *tensor_count; ++i) {
        GgufTensor tensor;
        auto name = read_string(kMaxStringLength);
        if (!name) return name.error();
        if (name->size() > kMaxNameLength)
            return fail("tensor name '" + std::string(name->substr(0, 80)) + "' is longer than 63 bytes");
        tensor.name = *name;
        auto n_dims = read_u32();
        if (!n_dims) return n_dims.error();
        if (*n_dims < 1 || *n_dims > kMaxDims)
            return fail("tensor '" + std::string(*name) + "' has " + std::to_string(*n_dims) +
                        " dimensions (1..4)");
        tensor.view.n_dims = static_cast<int>(*n_dims);
        int64_t elements = 1;
        for (uint32_t d = 0; d < *n_dims; ++d) {
            auto ne = read_u64();
            if (!ne) return ne.error();
            if (*ne == 0 || *ne > static_cast<uint64_t>(std::numeric_limits<int64_t>::max() / elements))
                return fail("tensor '" + std::string(*name) + "' has an absurd dimension " +
                            std::to_string(*ne));
            tensor.view.ne[d] = static_cast<int64_t>(*ne);
            elements *= tensor.view.ne[d];
        }
        auto type = read_u32();
        if (!type) return type.error();
        auto info = dtype_info(*type);
        if (!info)
            return fail("tensor '" + std::string(*name) + "' has unknown type id " + std::to_string(*type));
        tensor.view.type = info->type;
        if (tensor.view.ne[0] % info->block_size != 0)
            return fail("tensor '" + std::string(*name) + "': row length " +
                        std::to_string(tensor.view.ne[0]) + " is not a multiple of the " +
                        std::string(info->name) + " block size " + std::to_string(info->block_size));
        // The element count fits int64, but the byte size may not (2^62 f32 elements
        // would wrap to 0 bytes and pass the range check below).
        uint64_t row_bytes = 0, total_bytes = 0;
        if (__builtin_mul_overflow(static_cast<uint64_t>(tensor.view.ne[0] / info->block_size),
                                   static_cast<uint64_t>(info->block_bytes), &row_bytes) ||
            __builtin_mul_overflow(row_bytes, static_cast<uint64_t>(tensor.view.n_rows()), &total_bytes) ||
            total_bytes > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
            return fail("tensor '" + std::string(*name) + "' is too large (its byte size overflows)");
        auto offset = read_u64();
        if (!offset) return offset.error();
        tensor.offset = *offset;
        if (!file.tensor_index_.emplace(tensor.name, file.tensors_.size()).second)
            return fail("duplicate tensor name '" + std::string(*name) + "'");
        file.tensors_.push_back(tensor);
    }

    uint64_t data_start = (pos_ + file.alignment_ - 1) / file.alignment_ * file.alignment_;
    if (file.tensors_.size() && data_start > size_) return fail("file ends before the tensor data section");
    file.data_offset_ = data_start;
    uint64_t data_size = data_start <= size_ ? size_ - data_start : 0;

    // Check every tensor lies inside the data section, aligned, with no overlap.
    std::vector<size_t> order(file.tensors_.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(),
              [&](size_t a, size_t b) { return file.tensors_[a].offset < file.tensors_[b].offset; });
    uint64_t previous_end = 0;
    std::string_view previous_name;
    for (size_t index : order) {
        GgufTensor& t = file.tensors_[index];
        std::string name(t.name);
        if (t.offset % file.alignment_ != 0)
            return fail("tensor '" + name + "' offset " + std::to_string(t.offset) + " is not aligned to " +
                        std::to_string(file.alignment_));
        // n_rows * row_bytes cannot overflow: the byte size was bounded when the tensor info was read.
        uint64_t bytes = t.view.n_bytes();
        if (t.offset > data_size || bytes > data_size - t.offset)
            return fail("tensor '" + name + "' (" + std::to_string(bytes) + " bytes at offset " +
                        std::to_string(t.offset) + ") extends past the end of the file");
        if (t.offset < previous_end)
            return fail("tensor '" + name + "' overlaps tensor '" + std::string(previous_name) + "'");
        previous_end = t.offset + bytes;
        previous_name = t.name;
        t.view.data = data_ + data_start + t.offset;
    }
    return file;
}

Result<GgufFile> GgufFile::parse(const uint8_t* data, size_t size, std::string origin) {
    GgufParser parser(data, size, origin);
    GgufFile file;
    file.origin_ = std::move(origin);
    return parser.run(std::move(file));
}

Result<GgufFile> GgufFile::open(const std::string& path) {
    auto mapped = MappedFile::open(path);
    if (!mapped) return mapped.error();
    auto shared = std::make_shared<MappedFile>(std::move(*mapped));
    auto parsed = parse(shared->data(), shared->size(), path);
    if (!parsed) return parsed.error();
    parsed->file_ = std::move(shared);
    return parsed;
}

const GgufValue* GgufFile::find(std::string_view key) const {
    auto it = kv_index_.find(key);
    return it == kv_index_.end() ? nullptr : &kvs_[it->second].second;
}

std::optional<std::string_view> GgufFile::get_string(std::string_view key) const {
    const GgufValue* v = find(key);
    if (!v || v->type != GgufType::string) return std::nullopt;
    return v->string;
}

std::optional<int64_t> GgufFile::get_int(std::string_view key) const {
    const GgufValue* v = find(key);
    if (!v) return std::nullopt;
    switch (v->type) {
        case GgufType::u8:
        case GgufType::i8:
        case GgufType::u16:
        case GgufType::i16:
        case GgufType::u32:
        case GgufType::i32:
        case GgufType::u64:
        case GgufType::i64:
            return v->integer;
        default:
            return std::nullopt;
    }
}

std::optional<double> GgufFile::get_float(std::string_view key) const {
    const GgufValue* v = find(key);
    if (!v) return std::nullopt;
    if (v->type == GgufType::f32 || v->type == GgufType::f64) return v->real;
    if (auto i = get_int(key)) return static_cast<double>(*i);
    return std::nullopt;
}

std::optional<bool> GgufFile::get_bool(std::string_view key) const {
    const GgufValue* v = find(key);
    if (!v || v->type != GgufType::boolean) return std::nullopt;
    return v->boolean;
}

namespace {

Error array_type_error(const GgufFile& file, std::string_view key, const GgufValue* v, const char* wanted) {
    std::string got = v->type == GgufType::array ? "array of " + std::string(gguf_type_name(v->elem_type))
                                                 : std::string(gguf_type_name(v->type));
    return make_error("[gguf] " + file.origin() + ": metadata '" + std::string(key) + "' is " + got +
                      ", expected an array of " + wanted);
}

}  // namespace

Result<std::vector<std::string_view>> GgufFile::get_string_array(std::string_view key) const {
    const GgufValue* v = find(key);
    if (!v) return std::vector<std::string_view>{};
    if (v->type != GgufType::array || v->elem_type != GgufType::string)
        return array_type_error(*this, key, v, "strings");
    return v->strings;
}

Result<std::vector<float>> GgufFile::get_float_array(std::string_view key) const {
    const GgufValue* v = find(key);
    if (!v) return std::vector<float>{};
    if (v->type != GgufType::array || (v->elem_type != GgufType::f32 && v->elem_type != GgufType::f64))
        return array_type_error(*this, key, v, "floats");
    std::vector<float> out(v->count);
    for (uint64_t i = 0; i < v->count; ++i)
        out[i] = v->elem_type == GgufType::f32 ? load<float>(v->raw + 4 * i)
                                               : static_cast<float>(load<double>(v->raw + 8 * i));
    return out;
}

Result<std::vector<int64_t>> GgufFile::get_int_array(std::string_view key) const {
    const GgufValue* v = find(key);
    if (!v) return std::vector<int64_t>{};
    if (v->type != GgufType::array) return array_type_error(*this, key, v, "integers");
    std::vector<int64_t> out(v->count);
    const uint8_t* p = v->raw;
    for (uint64_t i = 0; i < v->count; ++i) {
        switch (v->elem_type) {
            case GgufType::u8:
                out[i] = load<uint8_t>(p + i);
                break;
            case GgufType::i8:
                out[i] = load<int8_t>(p + i);
                break;
            case GgufType::u16:
                out[i] = load<uint16_t>(p + 2 * i);
                break;
            case GgufType::i16:
                out[i] = load<int16_t>(p + 2 * i);
                break;
            case GgufType::u32:
                out[i] = load<uint32_t>(p + 4 * i);
                break;
            case GgufType::i32:
                out[i] = load<int32_t>(p + 4 * i);
                break;
            case GgufType::u64:
                out[i] = static_cast<int64_t>(load<uint64_t>(p + 8 * i));
                break;
            case GgufType::i64:
                out[i] = load<int64_t>(p + 8 * i);
                break;
            default:
                return array_type_error(*this, key, v, "integers");
        }
    }
    return out;
}

const GgufTensor* GgufFile::find_tensor(std::string_view name) const {
    auto it = tensor_index_.find(name);
    return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

}  // namespace engine
