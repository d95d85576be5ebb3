// Hostile safetensors files, shard indexes and JSON: every malformation must
// come back as an Error naming the problem, never a crash or a bad view.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "engine/json.h"
#include "engine/safetensors.h"
#include "hostile_bytes.h"

using engine::DType;
using engine::SafetensorsCheckpoint;
using engine::SafetensorsFile;
using hostile::Bytes;
using hostile::expect_error;
namespace fs = std::filesystem;

namespace {

// u64 header length + header text + `data_bytes` of data.
Bytes file_with_header(std::string_view header, size_t data_bytes) {
    Bytes b;
    b.u64(header.size()).text(header).zeros(data_bytes);
    return b;
}

engine::Result<SafetensorsFile> parse(const Bytes& b) {
    return SafetensorsFile::parse(b.data.data(), b.size());
}

engine::Result<SafetensorsFile> parse_header(std::string_view header, size_t data_bytes) {
    // Kept alive in a static so the views could be inspected; parse copies nothing it needs later.
    static Bytes keep;
    keep = file_with_header(header, data_bytes);
    return parse(keep);
}

std::string tensor(std::string_view name, std::string_view dtype, std::string_view shape, uint64_t begin,
                   uint64_t end) {
    std::string s = "\"";
    s += name;
    s += "\":{\"dtype\":\"";
    s += dtype;
    s += "\",\"shape\":";
    s += shape;
    s += ",\"data_offsets\":[";
    s += std::to_string(begin);
    s += ",";
    s += std::to_string(end);
    s += "]}";
    return s;
}

}  // namespace

TEST(HostileSafetensors, HeaderLength) {
    Bytes tiny;
    tiny.text("abc");
    expect_error(parse(tiny), "too short to be safetensors", "3 bytes");
    Bytes past;
    past.u64(100).text("{}");
    expect_error(parse(past), "header length 100 runs past the end of the file (10 bytes)", "100");
    Bytes huge;
    huge.u64(~0ull).text("{}");
    expect_error(parse(huge), "header length 18446744073709551615 runs past the end", "max");
    EXPECT_TRUE(parse(file_with_header("{}", 0)).ok());  // no tensors is valid
}

TEST(HostileSafetensors, HeaderNotJson) {
    expect_error(parse_header("", 8), "header is not a JSON object", "empty header");
    expect_error(parse_header("[1, 2]", 8), "header is not a JSON object", "array");
    expect_error(parse_header("{abc}", 8), "header is not valid JSON: line 1, column 2", "garbage");
    expect_error(parse_header("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_off", 8),
                 "header is not valid JSON", "cut header");
    std::string deep = "{\"a\":" + std::string(20, '[') + std::string(20, ']') + "}";
    expect_error(parse_header(deep, 0), "nesting deeper than the limit of 8", "deep");
    std::string dup = "{" + tensor("w", "F32", "[1]", 0, 4) + "," + tensor("w", "F32", "[1]", 4, 8) + "}";
    expect_error(parse_header(dup, 8), "duplicate object key \"w\"", "duplicate tensor");
}

TEST(HostileSafetensors, TensorEntries) {
    expect_error(parse_header("{\"w\":3}", 0), "tensor 'w' is described by a int, expected an object", "int");
    expect_error(parse_header("{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4),
                 "tensor 'w' has no \"dtype\"", "no dtype");
    expect_error(parse_header("{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4),
                 "tensor 'w' has no \"shape\" array", "no shape");
    expect_error(parse_header("{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4), "has no \"data_offsets\" pair",
                 "no offsets");
    expect_error(parse_header("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}", 8),
                 "has no \"data_offsets\" pair", "three offsets");
    expect_error(parse_header("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,-4]}}", 8),
                 "has invalid data_offsets [0, -4]", "negative offset");
}

TEST(HostileSafetensors, Dtypes) {
    expect_error(parse_header("{" + tensor("pos", "I64", "[2]", 0, 16) + "}", 16),
                 "tensor 'pos' has dtype I64, which the engine does not load (supported: F32, F16, BF16)",
                 "I64");
    expect_error(parse_header("{" + tensor("w", "F8_E4M3", "[2]", 0, 2) + "}", 2), "has dtype F8_E4M3",
                 "fp8");
    expect_error(parse_header("{" + tensor("w", "Q4", "[2]", 0, 2) + "}", 2),
                 "tensor 'w' has unknown dtype 'Q4'", "made up");
    expect_error(parse_header("{\"w\":{\"dtype\":5,\"shape\":[1],\"data_offsets\":[0,4]}}", 4),
                 "has no \"dtype\" string", "numeric dtype");
}

TEST(HostileSafetensors, Shapes) {
    expect_error(parse_header("{" + tensor("w", "F32", "[-1]", 0, 4) + "}", 4),
                 "tensor 'w' has an invalid dimension -1", "negative");
    expect_error(parse_header("{" + tensor("w", "F32", "[2.0]", 0, 8) + "}", 8), "invalid dimension 2.0",
                 "float");
    expect_error(parse_header("{" + tensor("w", "F32", "[\"2\"]", 0, 8) + "}", 8), "invalid dimension \"2\"",
                 "string");
    expect_error(parse_header("{" + tensor("w", "F32", "[1,1,1,1,1,1,1,1,1]", 0, 4) + "}", 4),
                 "has 9 dimensions (at most 8)", "9 dims");
    expect_error(parse_header("{" + tensor("w", "F32", "[4294967296,4294967296]", 0, 4) + "}", 4),
                 "shape [4294967296, 4294967296] overflows", "2^64 elements");
    expect_error(parse_header("{" + tensor("w", "F32", "[4611686018427387904]", 0, 4) + "}", 4), "overflows",
                 "2^62 f32 = 2^64 bytes");
    expect_error(parse_header("{" + tensor("w", "F32", "[9223372036854775808]", 0, 4) + "}", 4),
                 "invalid dimension 9.223372036854776e+18", "beyond int64");
    expect_error(parse_header("{" + tensor("w", "F32", "[2, 3]", 0, 20) + "}", 24),
                 "shape [2, 3] of F32 needs 24 bytes but data_offsets span 20 (shape mismatch)", "mismatch");
    expect_error(parse_header("{" + tensor("w", "BF16", "[3]", 0, 8) + "}", 8), "needs 6 bytes", "bf16");
}

TEST(HostileSafetensors, Offsets) {
    expect_error(parse_header("{" + tensor("w", "F32", "[1]", 8, 4) + "}", 16),
                 "tensor 'w' has reversed data_offsets [8, 4]", "reversed");
    expect_error(parse_header("{" + tensor("w", "F32", "[2]", 4, 12) + "}", 8),
                 "data_offsets [4, 12] are out of range (the data section has 8 bytes)", "past end");
    expect_error(parse_header("{" + tensor("w", "F32", "[1]", 18446744073709551612ull, 0) + "}", 8),
                 "invalid data_offsets", "beyond int64");
    std::string overlap =
        "{" + tensor("a", "F32", "[4]", 0, 16) + "," + tensor("b", "F32", "[2]", 8, 16) + "}";
    expect_error(parse_header(overlap, 16), "tensor 'b' overlaps tensor 'a'", "overlap");
    std::string same = "{" + tensor("a", "F32", "[2]", 0, 8) + "," + tensor("b", "F32", "[2]", 0, 8) + "}";
    expect_error(parse_header(same, 8), "overlaps", "identical ranges");
    // Empty tensors take no bytes and may sit anywhere inside the section.
    std::string empty =
        "{" + tensor("a", "F32", "[2]", 0, 8) + "," + tensor("e", "F32", "[0, 3]", 4, 4) + "}";
    EXPECT_TRUE(parse_header(empty, 8).ok());
}

TEST(HostileSafetensors, Metadata) {
    expect_error(parse_header("{\"__metadata__\":[1]}", 0), "__metadata__ is not an object", "array");
    expect_error(parse_header("{\"__metadata__\":{\"a\":1}}", 0),
                 "__metadata__ value for 'a' is a int, expected a string", "int value");
    auto ok = parse_header("{\"__metadata__\":{\"a\":\"b\"}}", 0);
    ASSERT_TRUE(ok.ok());
    EXPECT_EQ(ok->metadata_value("a"), "b");
}

TEST(HostileSafetensors, EveryTruncationFails) {
    engine::SafetensorsWriter w;
    w.set_metadata("format", "pt");
    ASSERT_TRUE(w.add_tensor("a", DType::F32, {2, 2}, std::vector<uint8_t>(16, 1)).ok());
    ASSERT_TRUE(w.add_tensor("b", DType::BF16, {3}, std::vector<uint8_t>(6, 2)).ok());
    auto bytes = w.to_bytes();
    ASSERT_TRUE(SafetensorsFile::parse(bytes.data(), bytes.size()).ok());
    for (size_t n = 0; n < bytes.size(); ++n) {
        std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<long>(n));
        auto r = SafetensorsFile::parse(cut.data(), cut.size());
        ASSERT_FALSE(r.ok()) << "cut at " << n;
        EXPECT_EQ(r.error().message.rfind("[safetensors] ", 0), 0u) << r.error().message;
    }
}

TEST(HostileSafetensors, RandomMutationsNeverCrash) {
    engine::SafetensorsWriter w;
    w.set_metadata("format", "pt");
    ASSERT_TRUE(w.add_tensor("a", DType::F32, {2, 2}, std::vector<uint8_t>(16, 1)).ok());
    ASSERT_TRUE(w.add_tensor("b", DType::F16, {3}, std::vector<uint8_t>(6, 2)).ok());
    int accepted = 0;
    hostile::mutate_and_parse(w.to_bytes(), 4000, [&](const std::vector<uint8_t>& m) {
        auto r = SafetensorsFile::parse(m.data(), m.size());
        if (!r.ok()) return;
        ++accepted;
        for (const auto& t : r->tensors()) ASSERT_EQ(t.view.n_bytes(), t.n_bytes) << t.name;
    });
    EXPECT_LT(accepted, 4000);  // most mutations must be rejected...
    EXPECT_GT(accepted, 0);     // ...but some (data bytes) stay valid: proves the loop ran
}

TEST(HostileJson, RandomMutationsNeverCrash) {
    std::string text = R"({"a": [1, -2.5e3, true, null, "x\u00e9\ud83d\ude00\n"], "b": {"c": {"d": []}}})";
    std::vector<uint8_t> bytes(text.begin(), text.end());
    hostile::mutate_and_parse(bytes, 20000, [](const std::vector<uint8_t>& m) {
        auto r = engine::json::parse(std::string_view(reinterpret_cast<const char*>(m.data()), m.size()));
        if (r.ok()) {
            // Whatever parsed must dump and re-parse to the same value.
            engine::json::DumpOptions compact;
            compact.style = engine::json::DumpOptions::Style::compact;
            auto again = engine::json::parse(engine::json::dump(*r, compact));
            ASSERT_TRUE(again.ok()) << again.error().message;
            EXPECT_TRUE(*again == *r);
        } else {
            EXPECT_EQ(r.error().message.rfind("[json] line ", 0), 0u);
        }
    });
}

// ---- shard indexes ----

namespace {

class IndexDir {
public:
    IndexDir() {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        path_ =
            fs::temp_directory_path() / ("crucible_idx_" + std::to_string(::getpid()) + "_" + info->name());
        fs::remove_all(path_);
        fs::create_directories(path_);
        shard("s1.safetensors", {"a", "b"});
        shard("s2.safetensors", {"c"});
    }
    ~IndexDir() { fs::remove_all(path_); }
    void shard(const std::string& name, std::vector<std::string> tensors) const {
        engine::SafetensorsWriter w;
        for (const auto& t : tensors)
            EXPECT_TRUE(w.add_tensor(t, DType::F32, {1}, std::vector<uint8_t>(4)).ok());
        EXPECT_TRUE(w.write((path_ / name).string()).ok());
    }
    std::string index(const std::string& text) const {
        std::ofstream(path_ / "model.safetensors.index.json") << text;
        return (path_ / "model.safetensors.index.json").string();
    }

private:
    fs::path path_;
};

}  // namespace

TEST(HostileSafetensorsIndex, BadIndexes) {
    IndexDir dir;
    auto open = [&](const std::string& text) { return SafetensorsCheckpoint::open(dir.index(text)); };
    EXPECT_TRUE(
        open(R"({"weight_map": {"a": "s1.safetensors", "b": "s1.safetensors", "c": "s2.safetensors"}})")
            .ok());
    expect_error(open("{\"weight_map\": "), "cannot read shard index", "bad json");
    expect_error(open(R"({"metadata": {}})"), "index has no \"weight_map\" object", "no weight_map");
    expect_error(open(R"({"weight_map": {}})"), "\"weight_map\" is empty", "empty");
    expect_error(open(R"({"weight_map": {"a": 1}})"), "weight_map entry for 'a' is not a file name string",
                 "int");
    expect_error(open(R"({"weight_map": {"a": "../s1.safetensors"}})"),
                 "weight_map names shard '../s1.safetensors' for 'a'; only plain file names", "traversal");
    expect_error(open(R"({"weight_map": {"a": "/etc/passwd"}})"), "only plain file names", "absolute");
    expect_error(open(R"({"weight_map": {"a": "s3.safetensors"}})"),
                 "shard 's3.safetensors' listed in weight_map: [safetensors] [open] cannot open",
                 "missing shard");
    expect_error(open(R"({"weight_map": {"a": "s2.safetensors"}})"),
                 "weight_map puts tensor 'a' in 's2.safetensors', but that file does not contain it",
                 "wrong shard");
    expect_error(open(R"({"weight_map": {"zz": "s1.safetensors"}})"), "tensor 'zz'", "absent tensor");
    dir.shard("s3.safetensors", {"a"});
    expect_error(open(R"({"weight_map": {"a": "s1.safetensors", "x": "s3.safetensors"}})"),
                 "tensor 'a' appears in both 's1.safetensors' and 's3.safetensors'",
                 "duplicate across shards");
}
