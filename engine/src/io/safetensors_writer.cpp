// safetensors writer (tiny test models, LoRA adapter export).
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "engine/safetensors.h"

namespace engine {

void SafetensorsWriter::set_metadata(std::string key, std::string value) {
    for (auto& [k, v] : metadata_)
        if (k == key) {
            v = std::move(value);
            return;
        }
    metadata_.emplace_back(std::move(key), std::move(value));
}

Status SafetensorsWriter::add_tensor(std::string name, DType type, std::vector<int64_t> shape,
                                     std::vector<uint8_t> data) {
    const std::string where = "[safetensors write] tensor '" + name + "' ";
    if (name.empty() || name == "__metadata__") return make_error(where + "has a reserved or empty name");
    if (safetensors_dtype_name(type).empty())
        return make_error(where + "has type " + std::string(dtype_name(type)) +
                          "; only F32, F16 and BF16 are written");
    uint64_t elements = 1;
    for (int64_t d : shape) {
        if (d < 0) return make_error(where + "has a negative dimension " + std::to_string(d));
        if (__builtin_mul_overflow(elements, static_cast<uint64_t>(d), &elements))
            return make_error(where + "has too many elements");
    }
    uint64_t bytes = 0;
    if (__builtin_mul_overflow(elements, static_cast<uint64_t>(dtype_info(type).block_bytes), &bytes) ||
        bytes != data.size())
        return make_error(where + "has " + std::to_string(data.size()) + " bytes, expected " +
                          std::to_string(bytes));
    for (const auto& t : tensors_)
        if (t.name == name) return make_error(where + "was added twice");
    tensors_.push_back(Tensor{std::move(name), type, std::move(shape), std::move(data)});
    return {};
}

Status SafetensorsWriter::add_tensor(std::string name, const TensorView& view) {
    std::vector<int64_t> shape;
    for (int d = view.n_dims - 1; d >= 0; --d) shape.push_back(view.ne[static_cast<size_t>(d)]);
    if (safetensors_dtype_name(view.type).empty())
        return make_error("[safetensors write] tensor '" + name + "' has type " +
                          std::string(dtype_name(view.type)) + "; only F32, F16 and BF16 are written");
    std::vector<uint8_t> data(view.data, view.data + view.n_bytes());
    return add_tensor(std::move(name), view.type, std::move(shape), std::move(data));
}

std::vector<uint8_t> SafetensorsWriter::to_bytes() const {
    json::Object header;
    if (!metadata_.empty()) {
        json::Object meta;
        for (const auto& [k, v] : metadata_) meta.set(k, v);
        header.set("__metadata__", std::move(meta));
    }
    uint64_t offset = 0;
    for (const auto& t : tensors_) {
        json::Object entry;
        entry.set("dtype", safetensors_dtype_name(t.type));
        json::Array shape;
        for (int64_t d : t.shape) shape.emplace_back(d);
        entry.set("shape", std::move(shape));
        entry.set("data_offsets", json::Array{offset, offset + t.data.size()});
        offset += t.data.size();
        header.set(t.name, std::move(entry));
    }
    json::DumpOptions compact;
    compact.style = json::DumpOptions::Style::compact;
    std::string text = json::dump(json::Value(std::move(header)), compact);
    // Pad with spaces (valid JSON whitespace) so the data section starts 8-aligned.
    while ((8 + text.size()) % 8 != 0) text.push_back(' ');

    uint64_t header_len = text.size();
    uint8_t len_bytes[8];
    std::memcpy(len_bytes, &header_len, 8);
    std::vector<uint8_t> out(len_bytes, len_bytes + 8);
    out.reserve(8 + text.size() + offset);
    out.insert(out.end(), text.begin(), text.end());
    for (const auto& t : tensors_) out.insert(out.end(), t.data.begin(), t.data.end());
    return out;
}

Status SafetensorsWriter::write(const std::string& path) const {
    std::vector<uint8_t> bytes = to_bytes();
    std::string tmp = path + ".tmp";
    {
        std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
        if (!f) return make_error("[safetensors write] cannot create '" + tmp + "'");
        f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
        if (!f.flush()) {
            f.close();
            std::remove(tmp.c_str());
            return make_error("[safetensors write] writing '" + tmp + "' failed (disk full?)");
        }
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
        std::remove(tmp.c_str());
        return make_error("[safetensors write] cannot rename '" + tmp + "' to '" + path +
                          "': " + ec.message());
    }
    return {};
}

}  // namespace engine
