// Helpers for hand-building malformed binary files in the hostile-input tests.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace hostile {

// Little-endian byte builder.
struct Bytes {
    std::vector<uint8_t> data;

    Bytes& raw(const void* p, size_t n) {
        const auto* b = static_cast<const uint8_t*>(p);
        data.insert(data.end(), b, b + n);
        return *this;
    }
    Bytes& text(std::string_view s) { return raw(s.data(), s.size()); }
    Bytes& u8(uint8_t v) { return raw(&v, 1); }
    Bytes& u32(uint32_t v) { return raw(&v, 4); }
    Bytes& u64(uint64_t v) { return raw(&v, 8); }
    Bytes& f32(float v) { return raw(&v, 4); }
    Bytes& str(std::string_view s) { return u64(s.size()).text(s); }  // GGUF string
    Bytes& zeros(size_t n) {
        data.resize(data.size() + n, 0);
        return *this;
    }
    Bytes& pad_to(size_t alignment) {
        while (data.size() % alignment) data.push_back(0);
        return *this;
    }
    size_t size() const { return data.size(); }
};

// Asserts `r` failed and its message contains `needle`.
template <class R>
void expect_error(const R& r, std::string_view needle, const std::string& label) {
    ASSERT_FALSE(r.ok()) << label << ": parsed although it should have been rejected";
    EXPECT_NE(r.error().message.find(needle), std::string::npos)
        << label << ": message \"" << r.error().message << "\" lacks \"" << needle << "\"";
}

// Deterministic mutations of a valid file: byte flips, byte sets to boundary
// values, and truncations. `parse` must return (ok or error) for every one.
template <class Parse>
void mutate_and_parse(const std::vector<uint8_t>& valid, int iterations, Parse&& parse) {
    std::mt19937_64 rng(1234);
    static constexpr uint8_t kSpecial[] = {0x00, 0x01, 0x7F, 0x80, 0xFF, '{', '}', '"', '[', ']', ','};
    for (int i = 0; i < iterations; ++i) {
        std::vector<uint8_t> m = valid;
        int edits = 1 + static_cast<int>(rng() % 4);
        for (int e = 0; e < edits && !m.empty(); ++e) {
            size_t at = rng() % m.size();
            switch (rng() % 3) {
                case 0:
                    m[at] ^= static_cast<uint8_t>(1u << (rng() % 8));
                    break;
                case 1:
                    m[at] = kSpecial[rng() % sizeof kSpecial];
                    break;
                default:
                    m.resize(at);
                    break;
            }
        }
        // Parse from an exactly-sized heap copy so ASan builds catch any overread.
        std::vector<uint8_t> exact(m.begin(), m.end());
        parse(exact);
    }
}

}  // namespace hostile
