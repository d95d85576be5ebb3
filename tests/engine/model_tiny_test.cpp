// Tiny random models of every architecture and weight type: load conventions,
// fast forward vs the reference forward, decode vs prefill, sliding windows,
// KV-cache limits.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>
#include <vector>

#include "engine/kv_cache.h"
#include "engine/model.h"
#include "engine/quant.h"
#include "model/reference_forward.h"
#include "tiny_model.h"

namespace {

using namespace engine;

using Loaded = tiny::Loaded;

std::unique_ptr<Loaded> load_tiny(const tiny::TinySpec& spec, bool bf16_values = false) {
    return tiny::load(spec, bf16_values);
}

std::vector<int32_t> random_tokens(size_t n, int64_t n_vocab, uint32_t seed) {
    std::mt19937 rng(seed);
    std::vector<int32_t> t(n);
    for (auto& id : t) id = static_cast<int32_t>(rng() % static_cast<uint32_t>(n_vocab));
    return t;
}

// max |a - b| over a row range, relative to the reference row's RMS.
double row_error(const float* a, const float* ref, int64_t n) {
    double diff = 0.0, sq = 0.0;
    for (int64_t i = 0; i < n; ++i) {
        diff = std::max(diff, std::abs(double(a[i]) - double(ref[i])));
        sq += double(ref[i]) * ref[i];
    }
    return diff / std::sqrt(sq / double(n));
}

// Tolerance of the fast path against the reference: max |error| / RMS of the
// reference logits. Float weights only differ by float vs double rounding.
// Quantized weights are multiplied against int8-quantized activations (like
// llama.cpp); that alone moved these random models' logits by 3-8.5% of their
// RMS (measured over all archs; Q8_K activations of K-quants and Gemma's
// scaled embeddings are at the high end), so 12% leaves a margin.
double fast_tolerance(DType t) {
    switch (t) {
        case DType::F32:
        case DType::F16:
        case DType::BF16:
            return 1e-4;
        default:
            return 0.12;
    }
}

const DType kTypes[] = {DType::F32,  DType::F16,  DType::BF16, DType::Q8_0, DType::Q4_0, DType::Q4_1,
                        DType::Q5_0, DType::Q5_1, DType::Q4_K, DType::Q5_K, DType::Q6_K};
const Arch kArchs[] = {Arch::llama, Arch::qwen2, Arch::qwen3, Arch::gemma3};

class TinyModelTest : public ::testing::TestWithParam<std::tuple<Arch, DType>> {};

TEST_P(TinyModelTest, FastForwardMatchesReferenceAndDecodeMatchesPrefill) {
    auto [arch, type] = GetParam();
    auto t = load_tiny(tiny::default_spec(arch, type));
    ASSERT_TRUE(t->model);
    const Model& m = *t->model;
    const ModelConfig& c = m.config();
    ASSERT_EQ(c.n_layer, t->spec.n_layer);
    ASSERT_EQ(c.tied_embeddings, t->spec.tied);
    const int64_t V = c.n_vocab;
    const size_t n_prefill = 12, n_total = 16;
    auto tokens = random_tokens(n_total, V, 77);
    ThreadPool pool(2);

    // Reference and fast logits for all 16 positions.
    std::vector<float> ref(n_total * V), full(n_total * V);
    ASSERT_TRUE(reference_forward(m, tokens, LogitsMode::all, ref.data()).ok());
    auto cache = KvCache::create(c, 32);
    ASSERT_TRUE(cache.ok());
    auto st = m.forward(**cache, tokens, 0, LogitsMode::all, full.data(), pool);
    ASSERT_TRUE(st.ok()) << st.error().message;
    for (size_t p = 0; p < n_total; ++p)
        EXPECT_LT(row_error(&full[p * V], &ref[p * V], V), fast_tolerance(type)) << "position " << p;

    // Prefill 12 (last logits) then decode 4 one at a time: each equals the full prefill's row.
    (*cache)->clear();
    std::vector<float> step(V);
    st = m.forward(**cache, std::span(tokens).first(n_prefill), 0, LogitsMode::last, step.data(), pool);
    ASSERT_TRUE(st.ok()) << st.error().message;
    EXPECT_LT(row_error(step.data(), &full[(n_prefill - 1) * V], V), 1e-5);
    for (size_t p = n_prefill; p < n_total; ++p) {
        st = m.forward(**cache, std::span(tokens).subspan(p, 1), int64_t(p), LogitsMode::last, step.data(),
                       pool);
        ASSERT_TRUE(st.ok()) << st.error().message;
        EXPECT_LT(row_error(step.data(), &full[p * V], V), 1e-5) << "decode position " << p;
    }
    EXPECT_EQ((*cache)->size(), int64_t(n_total));
}

std::string case_name(const ::testing::TestParamInfo<std::tuple<Arch, DType>>& info) {
    return std::string(arch_name(std::get<0>(info.param))) + "_" +
           std::string(dtype_name(std::get<1>(info.param)));
}

INSTANTIATE_TEST_SUITE_P(AllArchsAllTypes, TinyModelTest,
                         ::testing::Combine(::testing::ValuesIn(kArchs), ::testing::ValuesIn(kTypes)),
                         case_name);

// Loaded weights are in HF layout whatever the file stores: llama Q/K rows are
// un-permuted, Gemma norms are 1 + w, every other tensor is unchanged.
TEST(TinyModel, LoadConvertsToCanonicalLayout) {
    for (Arch arch : kArchs) {
        auto t = load_tiny(tiny::default_spec(arch, DType::F32));
        ASSERT_TRUE(t->model);
        const LayerWeights& L = t->model->weights().layers[1];
        auto expect_rows = [&](const TensorView& w, const std::string& name) {
            const tiny::HfTensor& hf = t->hf.at(name);
            ASSERT_EQ(w.type, DType::F32);
            ASSERT_EQ(w.ne[1], hf.shape[0]);
            const float* got = reinterpret_cast<const float*>(w.data);
            for (size_t i = 0; i < hf.data.size(); ++i)
                ASSERT_EQ(got[i], hf.data[i]) << name << " element " << i;
        };
        expect_rows(L.wq, "blk.1.attn_q.weight");
        expect_rows(L.wk, "blk.1.attn_k.weight");
        expect_rows(L.wv, "blk.1.attn_v.weight");
        const float offset = arch == Arch::gemma3 ? 1.0f : 0.0f;
        const tiny::HfTensor& norm = t->hf.at("blk.1.ffn_norm.weight");
        const float* got = reinterpret_cast<const float*>(L.ffn_norm.data);
        for (size_t i = 0; i < norm.data.size(); ++i) ASSERT_EQ(got[i], norm.data[i] + offset);
    }
    // The config reflects each architecture's rules.
    auto g = load_tiny(tiny::default_spec(Arch::gemma3, DType::F32));
    const ModelConfig& c = g->model->config();
    EXPECT_EQ(c.activation, Activation::gelu_tanh);
    EXPECT_TRUE(c.qk_norm && c.post_norms && c.tied_embeddings);
    EXPECT_FLOAT_EQ(c.embd_scale, std::sqrt(64.0f));
    EXPECT_EQ(c.sliding_window, 4);
    for (int64_t il = 0; il < 6; ++il) EXPECT_EQ(c.is_sliding(il), il != 5) << il;
    EXPECT_FLOAT_EQ(c.rope_theta, 1e6f);
    EXPECT_FLOAT_EQ(c.rope_theta_local, 1e4f);
    auto l = load_tiny(tiny::default_spec(Arch::llama, DType::F32));
    EXPECT_EQ(l->model->config().rope_freq_factors.size(), 8u);
    EXPECT_FALSE(l->model->config().tied_embeddings);
    EXPECT_EQ(l->model->summary().architecture, "llama");
    EXPECT_EQ(l->model->summary().tensor_types.at("f32"), int64_t(l->hf.size()));
}

// With every layer sliding (window 4, 2 layers) a position sees at most
// 2 * (4 - 1) = 6 tokens back, so changing token 0 changes the logits at
// positions 0..6 and leaves positions 7.. exactly unchanged.
TEST(TinyModel, SlidingWindowLimitsTheReceptiveField) {
    auto spec = tiny::default_spec(Arch::gemma3, DType::F32);
    spec.n_layer = 2;
    auto t = load_tiny(spec);
    ASSERT_TRUE(t->model);
    const Model& m = *t->model;
    ASSERT_TRUE(m.config().is_sliding(0) && m.config().is_sliding(1));
    const int64_t V = m.config().n_vocab;
    auto a = random_tokens(12, V, 5);
    auto b = a;
    b[0] = (a[0] + 1) % int32_t(V);
    ThreadPool pool(2);
    std::vector<float> la(12 * V), lb(12 * V), ref(12 * V);
    auto cache = KvCache::create(m.config(), 12);
    ASSERT_TRUE(cache.ok());
    ASSERT_TRUE(m.forward(**cache, a, 0, LogitsMode::all, la.data(), pool).ok());
    ASSERT_TRUE(m.forward(**cache, b, 0, LogitsMode::all, lb.data(), pool).ok());
    for (int64_t p = 0; p < 12; ++p) {
        bool same = std::equal(&la[p * V], &la[(p + 1) * V], &lb[p * V]);
        EXPECT_EQ(same, p >= 7) << "position " << p;
    }
    ASSERT_TRUE(reference_forward(m, b, LogitsMode::all, ref.data()).ok());
    for (int64_t p = 0; p < 12; ++p) EXPECT_LT(row_error(&lb[p * V], &ref[p * V], V), 1e-4) << p;
}

TEST(TinyModel, ThreadCountAndChunkingDoNotChangeResults) {
    auto t = load_tiny(tiny::default_spec(Arch::qwen3, DType::Q8_0));
    ASSERT_TRUE(t->model);
    const Model& m = *t->model;
    const int64_t V = m.config().n_vocab;
    auto tokens = random_tokens(20, V, 9);
    std::vector<float> one(20 * V), two(20 * V), chunked(20 * V);
    ThreadPool p1(1), p2(2);
    auto c1 = KvCache::create(m.config(), 20);
    auto c2 = KvCache::create(m.config(), 20, 6);  // 20 tokens in chunks of 6, 6, 6, 2
    ASSERT_TRUE(c1.ok() && c2.ok());
    ASSERT_TRUE(m.forward(**c1, tokens, 0, LogitsMode::all, one.data(), p1).ok());
    ASSERT_TRUE(m.forward(**c1, tokens, 0, LogitsMode::all, two.data(), p2).ok());
    ASSERT_TRUE(m.forward(**c2, tokens, 0, LogitsMode::all, chunked.data(), p2).ok());
    for (int64_t p = 0; p < 20; ++p) {
        EXPECT_LT(row_error(&two[p * V], &one[p * V], V), 1e-5) << p;
        EXPECT_LT(row_error(&chunked[p * V], &one[p * V], V), 1e-5) << p;
    }
}

TEST(TinyModel, KvCacheLimitsAndBadInputsAreErrors) {
    auto t = load_tiny(tiny::default_spec(Arch::llama, DType::F32));
    ASSERT_TRUE(t->model);
    const Model& m = *t->model;
    ThreadPool pool(1);
    std::vector<float> logits(m.config().n_vocab);
    auto cache = KvCache::create(m.config(), 8);
    ASSERT_TRUE(cache.ok());
    auto tokens = random_tokens(6, m.config().n_vocab, 3);
    ASSERT_TRUE(m.forward(**cache, tokens, 0, LogitsMode::last, logits.data(), pool).ok());
    auto full = m.forward(**cache, std::span(tokens).first(3), 6, LogitsMode::last, logits.data(), pool);
    ASSERT_FALSE(full.ok());
    EXPECT_NE(full.error().message.find("KV cache full"), std::string::npos) << full.error().message;
    EXPECT_EQ((*cache)->size(), 6);  // a failed call leaves the cache as it was
    auto gap = m.forward(**cache, std::span(tokens).first(1), 7, LogitsMode::last, logits.data(), pool);
    EXPECT_FALSE(gap.ok());
    std::vector<int32_t> bad = {0, int32_t(m.config().n_vocab)};
    auto oov = m.forward(**cache, bad, 0, LogitsMode::last, logits.data(), pool);
    ASSERT_FALSE(oov.ok());
    EXPECT_NE(oov.error().message.find(std::to_string(m.config().n_vocab)), std::string::npos);
    EXPECT_FALSE(KvCache::create(m.config(), 0).ok());
    // Rewinding to an earlier position overwrites the tail.
    ASSERT_TRUE(
        m.forward(**cache, std::span(tokens).first(2), 4, LogitsMode::last, logits.data(), pool).ok());
    EXPECT_EQ((*cache)->size(), 6);
    auto other = load_tiny(tiny::default_spec(Arch::gemma3, DType::F32));
    ASSERT_TRUE(other->model);
    EXPECT_FALSE(other->model->forward(**cache, tokens, 0, LogitsMode::last, logits.data(), pool).ok());
}

// The same weights as a llama.cpp-style GGUF and as a Hugging Face folder load
// into the same canonical model: same config and the same logits. This pins
// the Q/K un-permutation, Gemma's +1 norms, HF tensor names, layer_types and
// llama3 rope scaling (turned into the factors the GGUF carries) together.
TEST(TinyModel, GgufAndHfFolderGiveTheSameLogits) {
    for (DType type : {DType::F32, DType::BF16}) {
        for (Arch arch : kArchs) {
            // GGUF keeps norms in F32, the BF16 checkpoint has them in BF16: same values either way.
            auto g = load_tiny(tiny::default_spec(arch, type), type == DType::BF16);
            ASSERT_TRUE(g->model);
            const std::string dir = tiny::temp_path("hf") + ".d";
            auto st = tiny::write_hf_folder(g->spec, g->hf, type, dir);
            ASSERT_TRUE(st.ok()) << st.error().message;
            auto h = Model::load(dir);
            std::filesystem::remove_all(dir);
            ASSERT_TRUE(h.ok()) << h.error().message;
            const ModelConfig &a = g->model->config(), &b = (*h)->config();
            const std::string what = std::string(arch_name(arch)) + " " + std::string(dtype_name(type));
            EXPECT_EQ(b.arch, a.arch) << what;
            EXPECT_EQ(b.head_dim, a.head_dim) << what;
            EXPECT_EQ(b.tied_embeddings, a.tied_embeddings) << what;
            EXPECT_EQ(b.layer_sliding, a.layer_sliding) << what;
            EXPECT_EQ(b.sliding_window, a.sliding_window) << what;
            EXPECT_FLOAT_EQ(b.attn_scale, a.attn_scale) << what;
            EXPECT_FLOAT_EQ(b.rope_theta_local, a.rope_theta_local) << what;
            ASSERT_EQ(b.rope_freq_factors.size(), a.rope_freq_factors.size()) << what;
            for (size_t i = 0; i < a.rope_freq_factors.size(); ++i)
                EXPECT_NEAR(b.rope_freq_factors[i], a.rope_freq_factors[i], 1e-6) << what << " factor " << i;
            const int64_t V = a.n_vocab;
            auto tokens = random_tokens(12, V, 21);
            std::vector<float> la(12 * V), lb(12 * V);
            ThreadPool pool(2);
            auto ca = KvCache::create(a, 12), cb = KvCache::create(b, 12);
            ASSERT_TRUE(ca.ok() && cb.ok());
            ASSERT_TRUE(g->model->forward(**ca, tokens, 0, LogitsMode::all, la.data(), pool).ok());
            ASSERT_TRUE((*h)->forward(**cb, tokens, 0, LogitsMode::all, lb.data(), pool).ok());
            for (int64_t p = 0; p < 12; ++p)
                EXPECT_LT(row_error(&lb[p * V], &la[p * V], V), 1e-5) << what << " " << p;
        }
    }
}

TEST(TinyModel, LoadRejectsBrokenFiles) {
    auto spec = tiny::default_spec(Arch::qwen2, DType::F32);
    auto weights = tiny::make_weights(spec);
    weights.erase("blk.1.ffn_up.weight");
    std::string path = tiny::temp_path("broken");
    ASSERT_TRUE(tiny::write_gguf(spec, weights, path).ok());
    auto m = Model::load(path);
    std::remove(path.c_str());
    ASSERT_FALSE(m.ok());
    EXPECT_NE(m.error().message.find("blk.1.ffn_up.weight"), std::string::npos) << m.error().message;
    EXPECT_FALSE(Model::load(path).ok());  // missing file
}

}  // namespace
