#include "engine/safetensors.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

using engine::DType;
using engine::SafetensorsCheckpoint;
using engine::SafetensorsFile;
using engine::SafetensorsWriter;
namespace json = engine::json;
namespace fs = std::filesystem;

namespace {

const std::string kGolden = CRUCIBLE_TEST_DATA_DIR "/golden/safetensors";

float half_to_float(uint16_t h) {
    uint32_t sign = (h >> 15) & 1, exp = (h >> 10) & 31, mant = h & 1023;
    float v;
    if (exp == 0)
        v = std::ldexp(static_cast<float>(mant), -24);
    else if (exp == 31)
        v = mant ? NAN : INFINITY;
    else
        v = std::ldexp(static_cast<float>(mant | 1024), static_cast<int>(exp) - 25);
    return sign ? -v : v;
}

float bf16_to_float(uint16_t b) {
    uint32_t bits = static_cast<uint32_t>(b) << 16;
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}

std::vector<float> values_of(const engine::TensorView& v) {
    std::vector<float> out(static_cast<size_t>(v.n_elements()));
    for (size_t i = 0; i < out.size(); ++i) {
        if (v.type == DType::F32) {
            std::memcpy(&out[i], v.data + 4 * i, 4);
        } else {
            uint16_t h;
            std::memcpy(&h, v.data + 2 * i, 2);
            out[i] = v.type == DType::F16 ? half_to_float(h) : bf16_to_float(h);
        }
    }
    return out;
}

template <class T>
std::vector<uint8_t> bytes_of(std::initializer_list<T> values) {
    std::vector<uint8_t> out(values.size() * sizeof(T));
    std::memcpy(out.data(), values.begin(), out.size());
    return out;
}

// A fresh directory per test, removed afterwards.
class TempDir {
public:
    TempDir() {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        path_ =
            fs::temp_directory_path() / ("crucible_st_" + std::to_string(::getpid()) + "_" + info->name());
        fs::remove_all(path_);
        fs::create_directories(path_);
    }
    ~TempDir() { fs::remove_all(path_); }
    std::string file(const std::string& name) const { return (path_ / name).string(); }

private:
    fs::path path_;
};

void check_against_expected(const engine::SafetensorsTensor& t, const json::Value& expected) {
    SCOPED_TRACE(t.name);
    EXPECT_EQ(engine::safetensors_dtype_name(t.view.type), expected["dtype"].as_string());
    const auto& shape = expected["shape"].as_array();
    ASSERT_EQ(t.shape.size(), shape.size());
    for (size_t i = 0; i < shape.size(); ++i) {
        EXPECT_EQ(t.shape[i], shape[i].as_int());
        // ggml order: ne[0] is the last (innermost) PyTorch dim.
        EXPECT_EQ(t.view.ne[i], shape[shape.size() - 1 - i].as_int());
    }
    EXPECT_EQ(t.view.n_dims, static_cast<int>(shape.size()));
    auto values = values_of(t.view);
    const auto& want = expected["values"].as_array();
    ASSERT_EQ(values.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i)
        EXPECT_EQ(values[i], static_cast<float>(want[i].as_double())) << i;
}

}  // namespace

TEST(Safetensors, ReadsFileWrittenByReferenceLibrary) {
    auto expected = json::parse_file(kGolden + "/expected.json");
    ASSERT_TRUE(expected.ok()) << expected.error().message;
    auto file = SafetensorsFile::open(kGolden + "/tiny.safetensors");
    ASSERT_TRUE(file.ok()) << file.error().message;
    EXPECT_EQ(file->tensors().size(), 4u);
    for (const char* name : {"linear.weight", "norm.weight", "embed.weight", "scale"}) {
        const auto* t = file->find(name);
        ASSERT_NE(t, nullptr) << name;
        check_against_expected(*t, (*expected)[name]);
    }
    const auto* scalar = file->find("scale");
    EXPECT_EQ(scalar->view.n_dims, 0);
    EXPECT_EQ(scalar->view.n_elements(), 1);
    EXPECT_EQ(file->metadata_value("format"), "pt");
    EXPECT_EQ(file->metadata_value("note"), "golden");
    EXPECT_EQ(file->metadata_value("absent"), std::nullopt);
    EXPECT_EQ(file->find("nope"), nullptr);
}

TEST(Safetensors, OpensShardedCheckpointThroughIndex) {
    auto expected = json::parse_file(kGolden + "/expected.json");
    ASSERT_TRUE(expected.ok());
    auto ckpt = SafetensorsCheckpoint::open(kGolden + "/sharded/model.safetensors.index.json");
    ASSERT_TRUE(ckpt.ok()) << ckpt.error().message;
    EXPECT_EQ(ckpt->shards().size(), 2u);
    EXPECT_EQ(ckpt->size(), 3u);
    EXPECT_EQ(ckpt->tensors().size(), 3u);
    for (const char* name : {"a.weight", "b.weight", "c.bias"}) {
        const auto* t = ckpt->find(name);
        ASSERT_NE(t, nullptr) << name;
        check_against_expected(*t, (*expected)[name]);
    }
    EXPECT_EQ(ckpt->index_metadata()["total_size"].as_int(), 24 + 4 + 2);
    // A single file opens through the same entry point.
    auto single = SafetensorsCheckpoint::open(kGolden + "/tiny.safetensors");
    ASSERT_TRUE(single.ok()) << single.error().message;
    EXPECT_EQ(single->size(), 4u);
    EXPECT_NE(single->find("embed.weight"), nullptr);
}

TEST(Safetensors, WriterRoundTripsTensorsAndMetadata) {
    TempDir dir;
    SafetensorsWriter w;
    w.set_metadata("format", "pt");
    w.set_metadata("k", "first");
    w.set_metadata("k", "second");  // replaces
    ASSERT_TRUE(w.add_tensor("w", DType::F32, {2, 3}, bytes_of<float>({1, 2, 3, 4, 5, 6})).ok());
    ASSERT_TRUE(w.add_tensor("h", DType::F16, {1}, bytes_of<uint16_t>({0x3C00})).ok());           // 1.0
    ASSERT_TRUE(w.add_tensor("b", DType::BF16, {2}, bytes_of<uint16_t>({0x4040, 0xC000})).ok());  // 3, -2
    ASSERT_TRUE(w.add_tensor("empty", DType::F32, {0, 4}, {}).ok());
    // From a ggml-order view: ne = {3, 2} must be written as shape [2, 3].
    auto view_bytes = bytes_of<float>({9, 8, 7, 6, 5, 4});
    engine::TensorView view;
    view.type = DType::F32;
    view.n_dims = 2;
    view.ne = {3, 2, 1, 1};
    view.data = view_bytes.data();
    ASSERT_TRUE(w.add_tensor("from_view", view).ok());

    std::string path = dir.file("out.safetensors");
    ASSERT_TRUE(w.write(path).ok());
    EXPECT_FALSE(fs::exists(path + ".tmp"));
    auto file = SafetensorsFile::open(path);
    ASSERT_TRUE(file.ok()) << file.error().message;
    EXPECT_EQ(file->data_offset() % 8, 0u);
    EXPECT_EQ(file->metadata_value("k"), "second");
    EXPECT_EQ(file->metadata().size(), 2u);
    EXPECT_EQ(values_of(file->find("w")->view), (std::vector<float>{1, 2, 3, 4, 5, 6}));
    EXPECT_EQ(file->find("w")->view.ne[0], 3);
    EXPECT_EQ(values_of(file->find("h")->view), (std::vector<float>{1}));
    EXPECT_EQ(values_of(file->find("b")->view), (std::vector<float>{3, -2}));
    EXPECT_EQ(file->find("empty")->n_bytes, 0u);
    const auto* fv = file->find("from_view");
    EXPECT_EQ(fv->shape, (std::vector<int64_t>{2, 3}));
    EXPECT_EQ(values_of(fv->view), (std::vector<float>{9, 8, 7, 6, 5, 4}));
    // Header order is insertion order.
    EXPECT_EQ(file->tensors()[0].name, "w");
    EXPECT_EQ(file->tensors()[4].name, "from_view");
}

TEST(Safetensors, WriterRejectsBadTensors) {
    SafetensorsWriter w;
    auto status = w.add_tensor("x", DType::F32, {3}, bytes_of<float>({1, 2}));
    ASSERT_FALSE(status.ok());
    EXPECT_NE(status.error().message.find("has 8 bytes, expected 12"), std::string::npos);
    status = w.add_tensor("q", DType::Q8_0, {32}, std::vector<uint8_t>(34));
    ASSERT_FALSE(status.ok());
    EXPECT_NE(status.error().message.find("only F32, F16 and BF16"), std::string::npos);
    EXPECT_FALSE(w.add_tensor("n", DType::F32, {-1}, {}).ok());
    EXPECT_FALSE(w.add_tensor("__metadata__", DType::F32, {1}, bytes_of<float>({1})).ok());
    EXPECT_TRUE(w.add_tensor("d", DType::F32, {1}, bytes_of<float>({1})).ok());
    status = w.add_tensor("d", DType::F32, {1}, bytes_of<float>({1}));
    ASSERT_FALSE(status.ok());
    EXPECT_NE(status.error().message.find("added twice"), std::string::npos);
    EXPECT_FALSE(w.write("/nonexistent-dir/x.safetensors").ok());
}

TEST(Safetensors, MisalignedDataIsCopiedToAlignedMemory) {
    // Header of 13 bytes: the data section starts at byte 21, misaligned for floats.
    std::string header = R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
    std::vector<uint8_t> bytes(8);
    uint64_t len = header.size();
    std::memcpy(bytes.data(), &len, 8);
    bytes.insert(bytes.end(), header.begin(), header.end());
    // An 8-aligned buffer, so the misalignment comes from the header length alone.
    alignas(8) uint8_t storage[128] = {};
    size_t data_at = bytes.size();
    ASSERT_NE(data_at % 4, 0u) << "test needs a misaligned data section";
    auto floats = bytes_of<float>({1.5f, -2.5f});
    bytes.insert(bytes.end(), floats.begin(), floats.end());
    ASSERT_LE(bytes.size(), sizeof storage);
    std::memcpy(storage, bytes.data(), bytes.size());
    auto file = SafetensorsFile::parse(storage, bytes.size());
    ASSERT_TRUE(file.ok()) << file.error().message;
    const auto* t = file->find("t");
    EXPECT_EQ(reinterpret_cast<uintptr_t>(t->view.data) % 4, 0u);
    EXPECT_EQ(values_of(t->view), (std::vector<float>{1.5f, -2.5f}));
}

TEST(Safetensors, MoreThanFourDimsFoldIntoTheLast) {
    SafetensorsWriter w;
    ASSERT_TRUE(w.add_tensor("conv", DType::F32, {2, 3, 1, 2, 2}, std::vector<uint8_t>(24 * 4)).ok());
    auto bytes = w.to_bytes();
    auto file = SafetensorsFile::parse(bytes.data(), bytes.size());
    ASSERT_TRUE(file.ok()) << file.error().message;
    const auto& v = file->find("conv")->view;
    EXPECT_EQ(v.n_dims, 4);
    EXPECT_EQ(v.ne[0], 2);
    EXPECT_EQ(v.ne[1], 2);
    EXPECT_EQ(v.ne[2], 1);
    EXPECT_EQ(v.ne[3], 6);  // 3 * 2
    EXPECT_EQ(v.n_bytes(), 24u * 4);
}
