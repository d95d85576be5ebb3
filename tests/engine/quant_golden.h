// Reader for the goldens written by tests/tools/gen_quant_goldens.py.
#pragma once

#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace quant_test {

struct GoldenCase {
    uint32_t kind = 0;  // 0: bytes -> floats (dequantize), 1: floats -> bytes (quantize)
    std::vector<uint8_t> bytes;
    std::vector<float> floats;
};

struct GoldenFile {
    uint32_t ggml_type = 0;
    std::vector<GoldenCase> cases;
    std::string error;  // empty when the file was read
};

inline GoldenFile read_golden(const std::string& path) {
    GoldenFile out;
    std::ifstream in(path, std::ios::binary);
    std::vector<uint8_t> buf((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.is_open() && buf.empty()) {
        out.error = "cannot open " + path;
        return out;
    }
    size_t pos = 0;
    auto u32 = [&](uint32_t& v) {
        if (pos + 4 > buf.size()) return false;
        std::memcpy(&v, buf.data() + pos, 4);
        pos += 4;
        return true;
    };
    uint32_t version = 0, n_cases = 0;
    if (buf.size() < 16 || std::memcmp(buf.data(), "CQGD", 4) != 0) {
        out.error = "bad magic in " + path;
        return out;
    }
    pos = 4;
    if (!u32(version) || version != 1 || !u32(out.ggml_type) || !u32(n_cases)) {
        out.error = "bad header in " + path;
        return out;
    }
    for (uint32_t c = 0; c < n_cases; ++c) {
        GoldenCase gc;
        uint32_t n_el = 0, n_bytes = 0;
        if (!u32(gc.kind) || !u32(n_el) || !u32(n_bytes) || pos + n_bytes + 4ull * n_el > buf.size()) {
            out.error = "truncated case " + std::to_string(c) + " in " + path;
            return out;
        }
        gc.bytes.assign(buf.begin() + static_cast<long>(pos), buf.begin() + static_cast<long>(pos + n_bytes));
        pos += n_bytes;
        gc.floats.resize(n_el);
        std::memcpy(gc.floats.data(), buf.data() + pos, 4ull * n_el);
        pos += 4ull * n_el;
        out.cases.push_back(std::move(gc));
    }
    return out;
}

}  // namespace quant_test
