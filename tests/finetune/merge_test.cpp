// Merging an adapter into a GGUF: the merged weights against W + scale B A
// computed here from the tiny model's HF-layout weights (so the llama Q/K row
// order is checked independently), logits of the merged model against the
// unmerged adapter forward, metadata carried over, and the error cases.
#include "finetune/merge.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "../engine/tiny_model.h"
#include "engine/gguf.h"
#include "engine/quant.h"
#include "finetune/lora_config.h"
#include "test_util.h"

namespace {

using engine::Arch;
using engine::DType;
using engine::LoraAdapter;
using engine::LoraPair;
using engine::LoraTarget;

LoraAdapter random_adapter(const engine::ModelConfig& c, uint64_t seed) {
    finetune::LoraConfig lc;
    lc.rank = 4;
    lc.alpha = 4.0f;
    auto a = finetune::make_adapter(lc, c);
    EXPECT_TRUE(a.ok());
    fttest::fill_random(*a, seed, 0.3f);
    return std::move(*a);
}

std::vector<float> dequantized(const engine::TensorView& v) {
    std::vector<float> out(static_cast<size_t>(v.n_elements()));
    for (int64_t r = 0; r < v.n_rows(); ++r)
        engine::dequantize_row(v.type, v.row(r), &out[size_t(r * v.ne[0])], v.ne[0]);
    return out;
}

bool same_value(const engine::GgufValue& a, const engine::GgufValue& b) {
    if (a.type != b.type || a.integer != b.integer || a.real != b.real || a.boolean != b.boolean ||
        a.string != b.string || a.elem_type != b.elem_type || a.count != b.count || a.strings != b.strings)
        return false;
    using engine::GgufType;
    const GgufType e = a.elem_type;
    const size_t elem = e == GgufType::u8 || e == GgufType::i8 || e == GgufType::boolean ? 1
                        : e == GgufType::u16 || e == GgufType::i16                       ? 2
                        : e == GgufType::u64 || e == GgufType::i64 || e == GgufType::f64 ? 8
                                                                                         : 4;
    if (a.raw && (!b.raw || std::memcmp(a.raw, b.raw, a.count * elem) != 0)) return false;
    if (a.items.size() != b.items.size()) return false;
    for (size_t i = 0; i < a.items.size(); ++i)
        if (!same_value(a.items[i], b.items[i])) return false;
    return true;
}

class MergeTest : public ::testing::TestWithParam<Arch> {};

TEST_P(MergeTest, WeightsAreBasePlusScaledProductInFileRowOrder) {
    const Arch arch = GetParam();
    auto t = tiny::load(tiny::default_spec(arch, DType::F32));
    ASSERT_TRUE(t->model);
    const engine::Model& m = *t->model;
    const auto& c = m.config();
    LoraAdapter adapter = random_adapter(c, 3);
    fttest::TempDir dir("merge_w");
    engine::ThreadPool pool(2);
    finetune::MergeOptions options;
    options.strength = 0.7f;
    options.type = DType::F16;
    ASSERT_TRUE(finetune::merge_to_gguf(dir / "m.gguf", m, adapter, options, pool).ok());
    auto merged = engine::GgufFile::open(dir / "m.gguf");
    ASSERT_TRUE(merged.ok()) << merged.error().message;

    const char* names[] = {"attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"};
    for (int64_t l = 0; l < c.n_layer; l += c.n_layer - 1)
        for (int ti = 0; ti < 7; ++ti) {
            const auto target = static_cast<LoraTarget>(ti);
            const std::string name = "blk." + std::to_string(l) + "." + names[ti] + ".weight";
            const auto* w = merged->find_tensor(name);
            ASSERT_NE(w, nullptr) << name;
            EXPECT_EQ(w->view.type, DType::F16);
            const tiny::HfTensor& hf = t->hf.at(name);  // HF row order
            const LoraPair& p = *adapter.find(l, target);
            const int64_t rows = hf.shape[0], cols = hf.shape[1];
            const auto got = dequantized(w->view);
            int64_t n_heads = 0;
            if (arch == Arch::llama && target == LoraTarget::q) n_heads = c.n_head;
            if (arch == Arch::llama && target == LoraTarget::k) n_heads = c.n_head_kv;
            for (int64_t g = 0; g < rows; ++g) {
                int64_t hf_row = g;
                if (n_heads) {  // file row h*d + 2i + s holds HF row h*d + s*d/2 + i
                    const int64_t d = rows / n_heads, h = g / d, i = (g % d) / 2, s = g % 2;
                    hf_row = h * d + s * (d / 2) + i;
                }
                for (int64_t k = 0; k < cols; ++k) {
                    double delta = 0;
                    for (int64_t r = 0; r < p.rank; ++r)
                        delta += double(p.b[size_t(hf_row * p.rank + r)]) * p.a[size_t(r * cols + k)];
                    const double expected = hf.data[size_t(hf_row * cols + k)] + 0.7 * p.scale * delta;
                    ASSERT_NEAR(got[size_t(g * cols + k)], expected, 1e-3 * std::fabs(expected) + 1e-6)
                        << name << " row " << g << " col " << k;
                }
            }
        }
    // Norms are copied as they were; embeddings re-encoded.
    const auto* norm = merged->find_tensor("blk.0.attn_norm.weight");
    const engine::GgufFile* src = m.gguf();
    ASSERT_NE(src, nullptr);
    const auto* src_norm = src->find_tensor("blk.0.attn_norm.weight");
    ASSERT_TRUE(norm && src_norm);
    EXPECT_EQ(norm->view.type, DType::F32);
    EXPECT_EQ(std::memcmp(norm->view.data, src_norm->view.data, src_norm->view.n_bytes()), 0);
    EXPECT_EQ(merged->find_tensor("token_embd.weight")->view.type, DType::F16);
    EXPECT_EQ(merged->tensors().size(), src->tensors().size());

    // Metadata: all of it, the same, except the file type.
    for (const auto& [key, value] : src->metadata()) {
        if (key == "general.file_type") continue;
        const engine::GgufValue* copy = merged->find(key);
        ASSERT_NE(copy, nullptr) << key;
        EXPECT_TRUE(same_value(value, *copy)) << key;
    }
    EXPECT_EQ(merged->get_int("general.file_type"), 1);
}

TEST_P(MergeTest, MergedModelMatchesUnmergedAdapterForward) {
    const Arch arch = GetParam();
    // An F32 base, so that the unmerged reference runs in float (no int8 activations).
    auto t = tiny::load(tiny::default_spec(arch, DType::F32));
    ASSERT_TRUE(t->model);
    const engine::Model& m = *t->model;
    LoraAdapter adapter = random_adapter(m.config(), 5);
    const std::vector<int32_t> tokens = {3, 14, 15, 92, 65, 35, 8, 9, 7, 9};
    const auto base = fttest::forward_all(m, tokens);
    const auto unmerged = fttest::forward_all(m, tokens, &adapter);
    const double effect = fttest::max_rel_error(base, unmerged);
    EXPECT_GT(effect, 0.05);
    fttest::TempDir dir("merge_logits");
    engine::ThreadPool pool(2);
    for (DType type : {DType::F16, DType::BF16, DType::Q8_0}) {
        finetune::MergeOptions options;
        options.type = type;
        ASSERT_TRUE(finetune::merge_to_gguf(dir / "m.gguf", m, adapter, options, pool).ok());
        auto merged = engine::Model::load(dir / "m.gguf");
        ASSERT_TRUE(merged.ok()) << merged.error().message;
        const auto logits = fttest::forward_all(**merged, tokens);
        ASSERT_FALSE(logits.empty());
        // F16/BF16: the weights' rounding; Q8_0 also runs with int8 activations, whose error the
        // engine's own fast-path tests bound by 0.12 (tests/engine/lora_forward_test.cpp).
        const double tolerance = type == DType::F16 ? 0.01 : type == DType::BF16 ? 0.05 : 0.12;
        EXPECT_LT(fttest::max_rel_error(logits, unmerged), tolerance)
            << engine::arch_name(arch) << " " << engine::dtype_name(type) << " (adapter effect " << effect
            << ")";
        EXPECT_LT(fttest::max_rel_error(logits, unmerged), effect / 3);
    }
}

TEST_P(MergeTest, StrengthZeroReencodesTheBase) {
    auto t = tiny::load(tiny::default_spec(GetParam(), DType::Q8_0));
    ASSERT_TRUE(t->model);
    const engine::Model& m = *t->model;
    LoraAdapter adapter = random_adapter(m.config(), 5);
    const std::vector<int32_t> tokens = {3, 14, 15, 92, 65, 35, 8, 9, 7, 9};
    fttest::TempDir dir("merge_zero");
    engine::ThreadPool pool(2);
    finetune::MergeOptions zero;
    zero.strength = 0.0f;
    zero.type = DType::Q8_0;
    ASSERT_TRUE(finetune::merge_to_gguf(dir / "z.gguf", m, adapter, zero, pool).ok());
    auto plain = engine::Model::load(dir / "z.gguf");
    ASSERT_TRUE(plain.ok());
    EXPECT_EQ(fttest::forward_all(**plain, tokens),
              fttest::forward_all(m, tokens));  // Q8_0 -> float -> Q8_0 is exact
}

INSTANTIATE_TEST_SUITE_P(Archs, MergeTest, ::testing::Values(Arch::llama, Arch::qwen2, Arch::gemma3),
                         [](const auto& p) { return std::string(engine::arch_name(p.param)); });

TEST(Merge, RejectsUnsupportedInputs) {
    auto t = tiny::load(tiny::default_spec(Arch::llama, DType::F32));
    ASSERT_TRUE(t->model);
    LoraAdapter adapter = random_adapter(t->model->config(), 1);
    engine::ThreadPool pool(1);
    fttest::TempDir dir("merge_bad");
    finetune::MergeOptions q4;
    q4.type = DType::Q4_0;
    auto st = finetune::merge_to_gguf(dir / "m.gguf", *t->model, adapter, q4, pool);
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().message.find("F16, BF16 or Q8_0"), std::string::npos);

    LoraAdapter other = random_adapter(fttest::small_config(Arch::llama, 5), 1);
    st = finetune::merge_to_gguf(dir / "m.gguf", *t->model, other, {}, pool);
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().message.find("5 layers"), std::string::npos) << st.error().message;

    const auto& spec = t->spec;
    ASSERT_TRUE(tiny::write_hf_folder(spec, t->hf, DType::F32, dir / "hf").ok());
    auto hf = engine::Model::load(dir / "hf");
    ASSERT_TRUE(hf.ok()) << hf.error().message;
    st = finetune::merge_to_gguf(dir / "m.gguf", **hf, adapter, {}, pool);
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().message.find("must be a GGUF"), std::string::npos);
}

}  // namespace
