// Hostile GGUF files: every malformation must come back as an Error that names
// the problem, never a crash, a huge allocation or an out-of-range view.
#include <gtest/gtest.h>

#include "engine/gguf.h"
#include "hostile_bytes.h"

using engine::DType;
using engine::GgufFile;
using engine::GgufType;
using engine::Result;
using hostile::Bytes;
using hostile::expect_error;

namespace {

constexpr uint32_t kU32 = static_cast<uint32_t>(GgufType::u32);
constexpr uint32_t kString = static_cast<uint32_t>(GgufType::string);
constexpr uint32_t kArray = static_cast<uint32_t>(GgufType::array);

Bytes header(uint64_t n_tensors, uint64_t n_kv, uint32_t version = 3) {
    Bytes b;
    b.text("GGUF").u32(version).u64(n_tensors).u64(n_kv);
    return b;
}

// Tensor info: name, dims, type, offset.
Bytes& tensor_info(Bytes& b, std::string_view name, std::vector<uint64_t> ne, uint32_t type,
                   uint64_t offset) {
    b.str(name).u32(static_cast<uint32_t>(ne.size()));
    for (uint64_t d : ne) b.u64(d);
    return b.u32(type).u64(offset);
}

Result<GgufFile> parse(const Bytes& b) { return GgufFile::parse(b.data.data(), b.data.size()); }

// A file with one F32 tensor of `ne` at `offset` and `data_bytes` of data.
Bytes one_tensor(std::vector<uint64_t> ne, uint32_t type, uint64_t offset, size_t data_bytes) {
    Bytes b = header(1, 0);
    tensor_info(b, "t", std::move(ne), type, offset);
    b.pad_to(32).zeros(data_bytes);
    return b;
}

}  // namespace

TEST(HostileGguf, MagicVersionAndEndianness) {
    expect_error(parse(Bytes{}.text("GG")), "too short to be GGUF", "2 bytes");
    Bytes bad_magic;
    bad_magic.text("GGML").u32(3).u64(0).u64(0);
    expect_error(parse(bad_magic), "bad magic", "GGML magic");
    expect_error(parse(header(0, 0, 1)), "unsupported GGUF version 1", "v1");
    expect_error(parse(header(0, 0, 4)), "unsupported GGUF version 4", "v4");
    expect_error(parse(header(0, 0, 0x03000000u)), "big-endian", "big-endian v3");
    expect_error(parse(Bytes{}.text("GGUF").u32(3).u64(0)), "truncated", "no kv count");
    EXPECT_TRUE(parse(header(0, 0)).ok());  // an empty v3 file is valid
}

TEST(HostileGguf, AbsurdCounts) {
    expect_error(parse(header(1ull << 60, 0)), "tensor count 1152921504606846976 is absurd", "tensors");
    expect_error(parse(header(0, ~0ull)), "metadata count 18446744073709551615 is absurd", "kvs");
    expect_error(parse(header(2, 0).zeros(20)), "is absurd", "2 tensors, 20 bytes");
}

TEST(HostileGguf, StringsPastTheEnd) {
    Bytes b = header(0, 1);
    b.u64(1000).text("short");
    expect_error(parse(b), "string of length 1000 runs past the end", "key");
    Bytes huge = header(0, 1);
    huge.u64(1ull << 40).zeros(8);
    expect_error(parse(huge), "exceeds the limit", "2^40 key");
    Bytes value = header(0, 1);
    value.str("k").u32(kString).u64(~0ull);
    expect_error(parse(value), "exceeds the limit", "string value");
    Bytes tname = header(1, 0);
    tname.u64(64).text(std::string(64, 'x')).zeros(40);
    expect_error(parse(tname), "longer than 63 bytes", "tensor name");
}

TEST(HostileGguf, MetadataTypes) {
    Bytes unknown = header(0, 1);
    unknown.str("k").u32(13).u32(0);
    expect_error(parse(unknown), "metadata 'k' has unknown type 13", "type 13");
    Bytes elem = header(0, 1);
    elem.str("k").u32(kArray).u32(99).u64(1).zeros(8);
    expect_error(parse(elem), "unknown array element type 99", "elem 99");
    Bytes count = header(0, 1);
    count.str("k").u32(kArray).u32(kU32).u64(1ull << 62).zeros(16);
    expect_error(parse(count), "elements runs past the end", "array count");
    Bytes strings = header(0, 1);
    strings.str("k").u32(kArray).u32(kString).u64(3).str("a").u64(50);
    expect_error(parse(strings), "runs past the end", "string array");
    Bytes boolean = header(0, 1);
    boolean.str("k").u32(static_cast<uint32_t>(GgufType::boolean)).u8(2);
    expect_error(parse(boolean), "bool value 2 is neither 0 nor 1", "bool 2");
    Bytes big = header(0, 1);
    big.str("k").u32(static_cast<uint32_t>(GgufType::u64)).u64(~0ull);
    expect_error(parse(big), "u64 value too large", "u64 max");
    Bytes scalar = header(0, 1);
    scalar.str("k").u32(static_cast<uint32_t>(GgufType::f64)).u32(0);
    expect_error(parse(scalar), "truncated inside a f64 value", "short f64");
}

TEST(HostileGguf, NestedArraysTooDeep) {
    auto nested = [](int depth) {
        Bytes b = header(0, 1);
        b.str("k").u32(kArray);
        for (int i = 0; i < depth - 1; ++i) b.u32(kArray).u64(1);  // elem type array, one element
        b.u32(kU32).u64(1).u32(7);
        return b;
    };
    EXPECT_TRUE(parse(nested(4)).ok()) << parse(nested(4)).error().message;
    expect_error(parse(nested(5)), "arrays nested deeper than 4", "depth 5");
    expect_error(parse(nested(50)), "arrays nested deeper than 4", "depth 50");
}

TEST(HostileGguf, DuplicateKeysAndTensorNames) {
    Bytes keys = header(0, 2);
    keys.str("a").u32(kU32).u32(1).str("a").u32(kU32).u32(2);
    expect_error(parse(keys), "duplicate metadata key 'a'", "keys");
    Bytes names = header(2, 0);
    tensor_info(names, "w", {4}, 0, 0);
    tensor_info(names, "w", {4}, 0, 32);
    names.pad_to(32).zeros(64);
    expect_error(parse(names), "duplicate tensor name 'w'", "tensors");
}

TEST(HostileGguf, Alignment) {
    auto with_alignment = [](uint32_t type, uint64_t value) {
        Bytes b = header(0, 1);
        b.str("general.alignment").u32(type);
        if (type == kU32)
            b.u32(static_cast<uint32_t>(value));
        else
            b.u64(value);
        return b;
    };
    expect_error(parse(with_alignment(kU32, 24)), "general.alignment 24 is not a power of two", "24");
    expect_error(parse(with_alignment(kU32, 0)), "general.alignment 0 is not a power of two", "0");
    expect_error(parse(with_alignment(static_cast<uint32_t>(GgufType::u64), 32)), "must be u32", "u64");
    EXPECT_TRUE(parse(with_alignment(kU32, 64)).ok());
}

TEST(HostileGguf, TensorShapesAndTypes) {
    expect_error(parse(one_tensor({}, 0, 0, 32)), "has 0 dimensions (1..4)", "n_dims 0");
    expect_error(parse(one_tensor({1, 1, 1, 1, 1}, 0, 0, 32)), "has 5 dimensions (1..4)", "n_dims 5");
    expect_error(parse(one_tensor({0}, 0, 0, 32)), "absurd dimension 0", "zero dim");
    expect_error(parse(one_tensor({1ull << 63}, 0, 0, 32)), "absurd dimension", "2^63");
    expect_error(parse(one_tensor({1ull << 32, 1ull << 32}, 0, 0, 32)), "absurd dimension 4294967296",
                 "product overflows int64");
    expect_error(parse(one_tensor({4}, 99, 0, 32)), "unknown type id 99", "type 99");
    expect_error(parse(one_tensor({4}, 4, 0, 32)), "unknown type id 4", "removed Q4_2");
    expect_error(parse(one_tensor({16}, static_cast<uint32_t>(DType::Q8_0), 0, 64)),
                 "row length 16 is not a multiple of the q8_0 block size 32", "q8_0 row");
}

TEST(HostileGguf, TensorByteSizeOverflow) {
    // 2^62 f32 elements: the element count fits int64, the byte size (2^64) does not.
    // Wrapped to 0 it would pass the range check and hand out a huge view.
    expect_error(parse(one_tensor({1ull << 62}, 0, 0, 32)), "tensor 't' is too large", "2^62 f32");
    expect_error(parse(one_tensor({1ull << 31, 1ull << 31}, static_cast<uint32_t>(DType::F64), 0, 32)),
                 "tensor 't' is too large", "2^62 f64 in two dims");
}

TEST(HostileGguf, TensorOffsets) {
    expect_error(parse(one_tensor({8}, 0, 0, 16)), "extends past the end of the file", "short data");
    expect_error(parse(one_tensor({4}, 0, 1ull << 40, 16)), "extends past the end of the file", "far offset");
    expect_error(parse(one_tensor({4}, 0, ~0ull & ~31ull, 16)), "extends past the end", "max offset");
    expect_error(parse(one_tensor({4}, 0, 4, 64)), "offset 4 is not aligned to 32", "misaligned");
    Bytes overlap = header(2, 0);
    tensor_info(overlap, "a", {16}, 0, 0);
    tensor_info(overlap, "b", {4}, 0, 32);
    overlap.pad_to(32).zeros(128);
    expect_error(parse(overlap), "tensor 'b' overlaps tensor 'a'", "overlap");
    Bytes header_only = header(1, 0);
    tensor_info(header_only, "t", {4}, 0, 0);
    expect_error(parse(header_only), "file ends before the tensor data section", "no data section");
}

TEST(HostileGguf, EveryTruncationOfARichFileFails) {
    engine::GgufWriter w(64);
    w.set_string("general.architecture", "llama");
    w.set_string_array("tokenizer.ggml.tokens", {"a", "bb", "ccc"});
    w.set_f32_array("s", {1, 2});
    w.set_bool("b", true);
    ASSERT_TRUE(w.add_tensor("x", DType::F32, {4}, std::vector<uint8_t>(16, 1)).ok());
    ASSERT_TRUE(w.add_tensor("q", DType::Q8_0, {32, 2}, std::vector<uint8_t>(68, 2)).ok());
    auto bytes = w.to_bytes();
    auto whole = GgufFile::parse(bytes.data(), bytes.size());
    ASSERT_TRUE(whole.ok()) << whole.error().message;
    const auto* q = whole->find_tensor("q");
    size_t data_end = static_cast<size_t>(q->view.data - bytes.data()) + q->view.n_bytes();
    // Every cut before the last tensor's end fails; the trailing padding is optional.
    for (size_t n = 0; n < data_end; ++n) {
        std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<long>(n));
        auto r = GgufFile::parse(cut.data(), cut.size());
        ASSERT_FALSE(r.ok()) << "cut at " << n;
        EXPECT_EQ(r.error().message.rfind("[gguf] ", 0), 0u) << r.error().message;
    }
}

TEST(HostileGguf, RandomMutationsNeverCrash) {
    engine::GgufWriter w;
    w.set_string("general.architecture", "llama");
    w.set_u32("n", 3);
    w.set_string_array("toks", {"a", "b"});
    w.set_i32_array("ids", {1, 2, 3});
    ASSERT_TRUE(w.add_tensor("x", DType::F32, {4, 2}, std::vector<uint8_t>(32)).ok());
    int ok = 0;
    hostile::mutate_and_parse(w.to_bytes(), 4000, [&](const std::vector<uint8_t>& m) {
        auto r = GgufFile::parse(m.data(), m.size());
        if (!r.ok()) return;
        ++ok;
        // Whatever parsed must describe memory inside the buffer.
        for (const auto& t : r->tensors()) {
            ASSERT_GE(t.view.data, m.data());
            ASSERT_LE(t.view.data + t.view.n_bytes(), m.data() + m.size());
        }
    });
    EXPECT_LT(ok, 4000);  // most mutations must be rejected...
    EXPECT_GT(ok, 0);     // ...but some (data bytes) stay valid: proves the loop ran
}
