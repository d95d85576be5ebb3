#include "engine/gguf.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <string>

using engine::DType;
using engine::GgufFile;
using engine::GgufWriter;

namespace {

std::vector<uint8_t> f32_bytes(std::initializer_list<float> values) {
    std::vector<uint8_t> out(values.size() * 4);
    std::memcpy(out.data(), values.begin(), out.size());
    return out;
}

std::vector<uint8_t> sample_file() {
    GgufWriter w;
    w.set_string("general.architecture", "llama");
    w.set_u32("llama.block_count", 2);
    w.set_f32("llama.rope.freq_base", 10000.0f);
    w.set_bool("tokenizer.ggml.add_bos_token", true);
    w.set_string_array("tokenizer.ggml.tokens", {"a", "b", "\xc3\xa9"});
    w.set_f32_array("tokenizer.ggml.scores", {0.5f, -1.0f, 2.0f});
    w.set_i32_array("tokenizer.ggml.token_type", {1, 3, 6});
    EXPECT_TRUE(w.add_tensor("x", DType::F32, {3, 2}, f32_bytes({1, 2, 3, 4, 5, 6})).ok());
    EXPECT_TRUE(w.add_tensor("y", DType::F32, {1}, f32_bytes({7})).ok());
    return w.to_bytes();
}

}  // namespace

TEST(Gguf, WriterOutputReadsBack) {
    auto bytes = sample_file();
    auto file = GgufFile::parse(bytes.data(), bytes.size());
    ASSERT_TRUE(file.ok()) << file.error().message;
    EXPECT_EQ(file->version(), 3u);
    EXPECT_EQ(file->get_string("general.architecture"), "llama");
    EXPECT_EQ(file->get_int("llama.block_count"), 2);
    EXPECT_EQ(file->get_float("llama.rope.freq_base"), 10000.0);
    EXPECT_EQ(file->get_bool("tokenizer.ggml.add_bos_token"), true);
    auto tokens = file->get_string_array("tokenizer.ggml.tokens");
    ASSERT_TRUE(tokens.ok());
    ASSERT_EQ(tokens->size(), 3u);
    EXPECT_EQ((*tokens)[2], "\xc3\xa9");
    EXPECT_EQ(file->get_float_array("tokenizer.ggml.scores")->at(1), -1.0f);
    EXPECT_EQ(file->get_int_array("tokenizer.ggml.token_type")->at(2), 6);
    EXPECT_FALSE(file->get_float_array("tokenizer.ggml.tokens").ok());  // wrong type is an error
    const auto* x = file->find_tensor("x");
    ASSERT_NE(x, nullptr);
    EXPECT_EQ(x->view.ne[0], 3);
    EXPECT_EQ(x->view.ne[1], 2);
    float v;
    std::memcpy(&v, x->view.row(1) + 8, 4);
    EXPECT_EQ(v, 6.0f);
    EXPECT_EQ((file->find_tensor("y")->view.data - bytes.data()) % 32, 0);
}

TEST(Gguf, WriterRejectsBadTensors) {
    GgufWriter w;
    EXPECT_FALSE(w.add_tensor("a", DType::F32, {3}, f32_bytes({1, 2})).ok());  // size mismatch
    EXPECT_FALSE(
        w.add_tensor("b", DType::Q8_0, {16}, std::vector<uint8_t>(17)).ok());  // not a block multiple
    EXPECT_FALSE(w.add_tensor(std::string(64, 'n'), DType::F32, {1}, f32_bytes({1})).ok());
    EXPECT_TRUE(w.add_tensor("c", DType::F32, {1}, f32_bytes({1})).ok());
    EXPECT_FALSE(w.add_tensor("c", DType::F32, {1}, f32_bytes({1})).ok());  // duplicate
}

TEST(Gguf, EveryTruncationIsAnErrorNotACrash) {
    auto bytes = sample_file();
    auto whole = GgufFile::parse(bytes.data(), bytes.size());
    ASSERT_TRUE(whole.ok());
    const auto* last = whole->find_tensor("y");
    size_t data_end = static_cast<size_t>(last->view.data - bytes.data()) + last->view.n_bytes();
    // Any cut before the end of the last tensor's bytes must fail; the trailing
    // alignment padding after it is optional.
    for (size_t n = 0; n < bytes.size(); ++n) {
        std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<long>(n));
        auto file = GgufFile::parse(cut.data(), cut.size());
        EXPECT_EQ(file.ok(), n >= data_end) << "truncated at " << n;
    }
}

TEST(Gguf, RealModelsParse) {
    const char* env = std::getenv("CRUCIBLE_MODEL_DIR");
    std::string dir = env ? env : std::string(std::getenv("HOME")) + "/.cache/crucible/models";
    auto smol = GgufFile::open(dir + "/SmolLM2-135M-Instruct.Q4_1.gguf");
    ASSERT_TRUE(smol.ok()) << smol.error().message << " (run scripts/fetch_models.sh)";
    EXPECT_EQ(smol->tensors().size(), 272u);
    EXPECT_EQ(smol->get_int("llama.block_count"), 30);
    EXPECT_EQ(smol->get_string_array("tokenizer.ggml.tokens")->size(), 49152u);
    EXPECT_EQ(smol->find_tensor("blk.0.attn_q.weight")->view.type, DType::Q4_1);
    auto gemma = GgufFile::open(dir + "/gemma-3-270m-q4_k_m.gguf");
    ASSERT_TRUE(gemma.ok()) << gemma.error().message << " (run scripts/fetch_models.sh)";
    EXPECT_EQ(gemma->get_string("general.architecture"), "gemma3");
    EXPECT_EQ(gemma->find_tensor("blk.0.ffn_down.weight")->view.type, DType::Q6_K);
}
