#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "engine/gguf.h"

namespace engine {
namespace {

// Appends raw bytes. resize+memcpy rather than insert(): GCC 12 at -O3 reports
// false -Wstringop-overflow warnings for small vector inserts.
void put_bytes(std::vector<uint8_t>& out, const void* data, size_t n) {
    if (n == 0) return;
    size_t at = out.size();
    out.resize(at + n);
    std::memcpy(out.data() + at, data, n);
}

template <class T>
void put(std::vector<uint8_t>& out, T value) {
    put_bytes(out, &value, sizeof(T));
}

void put_string(std::vector<uint8_t>& out, std::string_view s) {
    put<uint64_t>(out, s.size());
    put_bytes(out, s.data(), s.size());
}

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
        default:
            return 0;
    }
}

// Encodes a parsed value (without key and type) in its own type: scalars from
// the widened integer/real/boolean fields, arrays from their raw elements.
void put_value(std::vector<uint8_t>& out, const GgufValue& v) {
    switch (v.type) {
        case GgufType::u8:
            put(out, static_cast<uint8_t>(v.integer));
            break;
        case GgufType::i8:
            put(out, static_cast<int8_t>(v.integer));
            break;
        case GgufType::u16:
            put(out, static_cast<uint16_t>(v.integer));
            break;
        case GgufType::i16:
            put(out, static_cast<int16_t>(v.integer));
            break;
        case GgufType::u32:
            put(out, static_cast<uint32_t>(v.integer));
            break;
        case GgufType::i32:
            put(out, static_cast<int32_t>(v.integer));
            break;
        case GgufType::u64:
            put(out, static_cast<uint64_t>(v.integer));
            break;
        case GgufType::i64:
            put(out, static_cast<int64_t>(v.integer));
            break;
        case GgufType::f32:
            put(out, static_cast<float>(v.real));
            break;
        case GgufType::f64:
            put(out, v.real);
            break;
        case GgufType::boolean:
            put(out, static_cast<uint8_t>(v.boolean ? 1 : 0));
            break;
        case GgufType::string:
            put_string(out, v.string);
            break;
        case GgufType::array:
            put<uint32_t>(out, static_cast<uint32_t>(v.elem_type));
            put<uint64_t>(out, v.count);
            if (v.elem_type == GgufType::string) {
                for (std::string_view s : v.strings) put_string(out, s);
            } else if (v.elem_type == GgufType::array) {
                for (const GgufValue& item : v.items) put_value(out, item);
            } else {
                put_bytes(out, v.raw, static_cast<size_t>(v.count) * scalar_size(v.elem_type));
            }
            break;
    }
}

}  // namespace

void GgufWriter::set_value(std::string key, const GgufValue& value) {
    std::vector<uint8_t> p;
    put_value(p, value);
    set_raw(std::move(key), value.type, std::move(p));
}

void GgufWriter::set_raw(std::string key, GgufType type, std::vector<uint8_t> payload) {
    for (auto& entry : entries_)
        if (entry.key == key) {
            entry.type = type;
            entry.payload = std::move(payload);
            return;
        }
    entries_.push_back(Entry{std::move(key), type, std::move(payload)});
}

void GgufWriter::set_u32(std::string key, uint32_t value) {
    std::vector<uint8_t> p;
    put(p, value);
    set_raw(std::move(key), GgufType::u32, std::move(p));
}
void GgufWriter::set_i32(std::string key, int32_t value) {
    std::vector<uint8_t> p;
    put(p, value);
    set_raw(std::move(key), GgufType::i32, std::move(p));
}
void GgufWriter::set_u64(std::string key, uint64_t value) {
    std::vector<uint8_t> p;
    put(p, value);
    set_raw(std::move(key), GgufType::u64, std::move(p));
}
void GgufWriter::set_f32(std::string key, float value) {
    std::vector<uint8_t> p;
    put(p, value);
    set_raw(std::move(key), GgufType::f32, std::move(p));
}
void GgufWriter::set_bool(std::string key, bool value) {
    set_raw(std::move(key), GgufType::boolean, {static_cast<uint8_t>(value ? 1 : 0)});
}
void GgufWriter::set_string(std::string key, std::string value) {
    std::vector<uint8_t> p;
    put_string(p, value);
    set_raw(std::move(key), GgufType::string, std::move(p));
}
void GgufWriter::set_string_array(std::string key, std::vector<std::string> values) {
    std::vector<uint8_t> p;
    put<uint32_t>(p, static_cast<uint32_t>(GgufType::string));
    put<uint64_t>(p, values.size());
    for (const auto& v : values) put_string(p, v);
    set_raw(std::move(key), GgufType::array, std::move(p));
}
void GgufWriter::set_f32_array(std::string key, std::vector<float> values) {
    std::vector<uint8_t> p;
    put<uint32_t>(p, static_cast<uint32_t>(GgufType::f32));
    put<uint64_t>(p, values.size());
    for (float v : values) put(p, v);
    set_raw(std::move(key), GgufType::array, std::move(p));
}
void GgufWriter::set_i32_array(std::string key, std::vector<int32_t> values) {
    std::vector<uint8_t> p;
    put<uint32_t>(p, static_cast<uint32_t>(GgufType::i32));
    put<uint64_t>(p, values.size());
    for (int32_t v : values) put(p, v);
    set_raw(std::move(key), GgufType::array, std::move(p));
}

Status GgufWriter::add_tensor(std::string name, DType type, std::vector<int64_t> ne,
                              std::vector<uint8_t> data) {
    if (ne.empty() || ne.size() > 4)
        return make_error("[gguf write] tensor '" + name + "' needs 1 to 4 dimensions");
    if (name.size() > 63)
        return make_error("[gguf write] tensor name '" + name + "' is longer than 63 bytes");
    TensorView view;
    view.type = type;
    view.n_dims = static_cast<int>(ne.size());
    for (size_t i = 0; i < ne.size(); ++i) {
        if (ne[i] <= 0) return make_error("[gguf write] tensor '" + name + "' has a non-positive dimension");
        view.ne[i] = ne[i];
    }
    if (ne[0] % dtype_info(type).block_size != 0)
        return make_error("[gguf write] tensor '" + name +
                          "' row length is not a multiple of the block size");
    if (data.size() != view.n_bytes())
        return make_error("[gguf write] tensor '" + name + "' has " + std::to_string(data.size()) +
                          " bytes, expected " + std::to_string(view.n_bytes()));
    for (const auto& t : tensors_)
        if (t.name == name) return make_error("[gguf write] duplicate tensor '" + name + "'");
    tensors_.push_back(Tensor{std::move(name), type, std::move(ne), std::move(data)});
    return {};
}

std::vector<uint8_t> GgufWriter::to_bytes() const {
    std::vector<uint8_t> out;
    put_bytes(out, "GGUF", 4);
    put<uint32_t>(out, 3);
    put<uint64_t>(out, tensors_.size());
    bool custom_alignment = alignment_ != 32;
    put<uint64_t>(out, entries_.size() + (custom_alignment ? 1 : 0));
    if (custom_alignment) {
        put_string(out, "general.alignment");
        put<uint32_t>(out, static_cast<uint32_t>(GgufType::u32));
        put<uint32_t>(out, alignment_);
    }
    for (const auto& entry : entries_) {
        put_string(out, entry.key);
        put<uint32_t>(out, static_cast<uint32_t>(entry.type));
        put_bytes(out, entry.payload.data(), entry.payload.size());
    }
    auto align_up = [&](uint64_t n) { return (n + alignment_ - 1) / alignment_ * alignment_; };
    uint64_t offset = 0;
    for (const auto& t : tensors_) {
        put_string(out, t.name);
        put<uint32_t>(out, static_cast<uint32_t>(t.ne.size()));
        for (int64_t d : t.ne) put<uint64_t>(out, static_cast<uint64_t>(d));
        put<uint32_t>(out, static_cast<uint32_t>(t.type));
        put<uint64_t>(out, offset);
        offset = align_up(offset + t.data.size());
    }
    out.resize(align_up(out.size()), 0);
    for (const auto& t : tensors_) {
        put_bytes(out, t.data.data(), t.data.size());
        out.resize(align_up(out.size()), 0);
    }
    return out;
}

Status GgufWriter::write(const std::string& path) const {
    std::vector<uint8_t> bytes = to_bytes();
    std::string tmp = path + ".tmp";
    {
        std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
        if (!f) return make_error("[gguf write] cannot create '" + tmp + "'");
        f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
        if (!f.flush()) {
            std::remove(tmp.c_str());
            return make_error("[gguf write] writing '" + tmp + "' failed (disk full?)");
        }
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
        std::remove(tmp.c_str());
        return make_error("[gguf write] cannot rename '" + tmp + "' to '" + path + "': " + ec.message());
    }
    return {};
}

}  // namespace engine
