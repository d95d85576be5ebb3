// Adapter formats: PEFT folders and llama.cpp GGUF LoRAs written and read back
// (identical tensors, scales and logits), what the files hold (names, shapes,
// the llama Q/K row permutation), and the errors for what cannot be imported.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "../engine/tiny_model.h"
#include "engine/gguf.h"
#include "engine/json.h"
#include "engine/quant.h"
#include "engine/safetensors.h"
#include "finetune/gguf_lora.h"
#include "finetune/lora_config.h"
#include "finetune/peft.h"
#include "test_util.h"

namespace {

using engine::Arch;
using engine::DType;
using engine::LoraAdapter;
using engine::LoraPair;
using engine::LoraTarget;

LoraAdapter random_adapter(const engine::ModelConfig& c, int64_t rank, uint64_t seed,
                           std::vector<LoraTarget> targets = finetune::all_lora_targets()) {
    finetune::LoraConfig lc;
    lc.rank = rank;
    lc.alpha = 16.0f;
    lc.targets = std::move(targets);
    auto a = finetune::make_adapter(lc, c);
    EXPECT_TRUE(a.ok());
    fttest::fill_random(*a, seed);
    return std::move(*a);
}

finetune::PeftOptions options16() {
    finetune::PeftOptions o;
    o.base_model_name = "tiny/llama";
    o.alpha = 16.0;
    o.dropout = 0.05;
    return o;
}

TEST(Peft, ExportImportRoundTripIsExact) {
    const auto c = fttest::small_config();
    LoraAdapter adapter = random_adapter(c, 4, 1);
    // A pair of another rank and one with its own scale: rank_pattern and alpha_pattern.
    LoraPair odd = *adapter.find(1, LoraTarget::v);
    odd.rank = 2;
    odd.a.resize(static_cast<size_t>(2 * odd.in));
    odd.b.assign(static_cast<size_t>(odd.out * 2), 0.25f);
    odd.scale = finetune::lora_scale(16.0, 2, false);
    ASSERT_TRUE(adapter.set(c, 1, LoraTarget::v, odd).ok());
    adapter.find(0, LoraTarget::down)->scale = 0.3f;

    fttest::TempDir dir("peft");
    ASSERT_TRUE(finetune::export_peft(dir.path(), adapter, options16()).ok());
    auto config = engine::json::parse_file(dir / "adapter_config.json");
    ASSERT_TRUE(config.ok());
    const auto& j = *config;
    EXPECT_EQ(j["peft_type"].as_string(), "LORA");
    EXPECT_EQ(j["task_type"].as_string(), "CAUSAL_LM");
    EXPECT_EQ(j["r"].as_int(), 4);
    EXPECT_EQ(j["lora_alpha"].as_int(), 16);
    EXPECT_EQ(j["bias"].as_string(), "none");
    EXPECT_FALSE(j["fan_in_fan_out"].as_bool());
    EXPECT_FALSE(j["use_rslora"].as_bool());
    EXPECT_EQ(j["base_model_name_or_path"].as_string(), "tiny/llama");
    EXPECT_EQ(j["target_modules"].size(), 7u);
    EXPECT_EQ(j["rank_pattern"]["layers.1.self_attn.v_proj"].as_int(), 2);
    EXPECT_EQ(j["rank_pattern"].size(), 1u);
    EXPECT_EQ(j["alpha_pattern"].size(), 1u);
    EXPECT_TRUE(j["alpha_pattern"]["layers.0.mlp.down_proj"].is_number());

    auto st = engine::SafetensorsFile::open(dir / "adapter_model.safetensors");
    ASSERT_TRUE(st.ok());
    const auto* qa = st->find("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight");
    const auto* gb = st->find("base_model.model.model.layers.1.mlp.gate_proj.lora_B.weight");
    ASSERT_TRUE(qa && gb);
    EXPECT_EQ(qa->shape, (std::vector<int64_t>{4, c.n_embd}));
    EXPECT_EQ(gb->shape, (std::vector<int64_t>{c.n_ff, 4}));
    EXPECT_EQ(qa->view.type, DType::F32);
    EXPECT_EQ(st->tensors().size(), 2u * 7 * 2);

    auto back = finetune::import_peft(dir.path(), c);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_TRUE(fttest::same_values(back->adapter, adapter));
    EXPECT_EQ(back->rank, 4);
    EXPECT_EQ(back->options.alpha, 16.0);
    EXPECT_EQ(back->options.dropout, 0.05);
    EXPECT_EQ(back->options.base_model_name, "tiny/llama");
}

TEST(Peft, RsLoraScaleAndPartialLayersRoundTrip) {
    const auto c = fttest::small_config(Arch::qwen2, 3);
    finetune::LoraConfig lc;
    lc.rank = 3;
    lc.alpha = 8.0f;
    lc.use_rslora = true;
    lc.targets = {LoraTarget::q, LoraTarget::up};
    auto full = finetune::make_adapter(lc, c);
    ASSERT_TRUE(full.ok());
    fttest::fill_random(*full, 5);
    // Only layer 2 of up_proj: target_modules must name exact modules.
    LoraAdapter partial;
    ASSERT_TRUE(partial.set(c, 0, LoraTarget::q, *full->find(0, LoraTarget::q)).ok());
    ASSERT_TRUE(partial.set(c, 2, LoraTarget::up, *full->find(2, LoraTarget::up)).ok());
    fttest::TempDir dir("peft_rs");
    ASSERT_TRUE(finetune::export_peft(dir.path(), partial, finetune::peft_options(lc, "")).ok());
    auto config = engine::json::parse_file(dir / "adapter_config.json");
    ASSERT_TRUE(config.ok());
    EXPECT_TRUE((*config)["use_rslora"].as_bool());
    EXPECT_EQ((*config)["alpha_pattern"].size(), 0u);
    EXPECT_EQ((*config)["target_modules"].as_string(),
              "(model\\.layers\\.0\\.self_attn\\.q_proj|model\\.layers\\.2\\.mlp\\.up_proj)");
    auto back = finetune::import_peft(dir.path(), c);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_TRUE(fttest::same_values(back->adapter, partial));
    EXPECT_FLOAT_EQ(back->adapter.find(0, LoraTarget::q)->scale, 8.0f / std::sqrt(3.0f));
}

// Writes a PEFT folder by hand: a config text and tensors (name, type, shape, values).
struct RawTensor {
    std::string name;
    DType type;
    std::vector<int64_t> shape;
    float fill;
};
void write_raw_peft(const std::string& dir, const std::string& config,
                    const std::vector<RawTensor>& tensors) {
    std::filesystem::create_directories(dir);
    fttest::write_text(dir + "/adapter_config.json", config);
    engine::SafetensorsWriter st;
    for (const auto& t : tensors) {
        int64_t n = 1;
        for (int64_t d : t.shape) n *= d;
        std::vector<float> values(static_cast<size_t>(n));
        for (int64_t i = 0; i < n; ++i) values[size_t(i)] = t.fill + 0.001f * float(i % 17);
        std::vector<uint8_t> bytes(engine::dtype_row_bytes(t.type, n));
        ASSERT_TRUE(engine::quantize_row(t.type, values.data(), bytes.data(), n).ok());
        ASSERT_TRUE(st.add_tensor(t.name, t.type, t.shape, std::move(bytes)).ok());
    }
    ASSERT_TRUE(st.write(dir + "/adapter_model.safetensors").ok());
}

const std::string kPrefix = "base_model.model.model.layers.0.self_attn.q_proj.";

TEST(Peft, ImportsHalfPrecisionAndIgnoresUnknownKeys) {
    const auto c = fttest::small_config();
    fttest::TempDir dir("peft_f16");
    write_raw_peft(dir.path(),
                   R"({"peft_type": "LORA", "r": 2, "lora_alpha": 4, "target_modules": ["q_proj"],
                       "some_future_key": {"x": 1}, "rank_pattern": {}, "alpha_pattern": {"q_proj": 8}})",
                   {{kPrefix + "lora_A.weight", DType::F16, {2, 64}, 0.5f},
                    {kPrefix + "lora_B.weight", DType::BF16, {64, 2}, -0.25f}});
    auto back = finetune::import_peft(dir.path(), c);
    ASSERT_TRUE(back.ok()) << back.error().message;
    const LoraPair* p = back->adapter.find(0, LoraTarget::q);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p->scale, 4.0f);  // alpha_pattern's 8 / r 2, matched by the suffix "q_proj"
    EXPECT_EQ(p->a[1], engine::fp16_to_fp32(engine::fp32_to_fp16(0.501f)));
    EXPECT_EQ(p->b[3], engine::bf16_to_fp32(engine::fp32_to_bf16(-0.25f + 0.003f)));
    EXPECT_EQ(back->adapter.n_params(), 2 * (64 + 64));
}

TEST(Peft, RejectsWhatItCannotApply) {
    const auto c = fttest::small_config();
    const std::vector<RawTensor> good = {{kPrefix + "lora_A.weight", DType::F32, {2, 64}, 0.5f},
                                         {kPrefix + "lora_B.weight", DType::F32, {64, 2}, 0.5f}};
    auto expect_error = [&](const std::string& config, std::vector<RawTensor> tensors,
                            const std::string& needle) {
        fttest::TempDir dir("peft_bad");
        write_raw_peft(dir.path(), config, tensors);
        auto r = finetune::import_peft(dir.path(), c);
        ASSERT_FALSE(r.ok()) << needle;
        EXPECT_NE(r.error().message.find(needle), std::string::npos) << r.error().message;
        EXPECT_EQ(r.error().message.rfind("[peft import]", 0), 0u) << r.error().message;
    };
    const std::string base = R"({"r": 2, "lora_alpha": 4)";
    expect_error(base + R"(, "use_dora": true})", good, "DoRA");
    expect_error(base + R"(, "bias": "all"})", good, "bias 'all'");
    expect_error(base + R"(, "fan_in_fan_out": true})", good, "fan_in_fan_out");
    expect_error(base + R"(, "modules_to_save": ["lm_head"]})", good, "modules_to_save");
    expect_error(R"({"peft_type": "IA3", "r": 2, "lora_alpha": 4})", good, "not LORA");
    expect_error(R"({"lora_alpha": 4})", good, "'r'");
    expect_error(base + "}", {good[0]}, "has lora_A but not lora_B");
    expect_error(R"({"r": 4, "lora_alpha": 4})", good, "has rank 2 but the config says 4");
    expect_error(base + "}",
                 {good[0], good[1], {"base_model.model.lm_head.lora_A.weight", DType::F32, {2, 64}, 0.1f}},
                 "lm_head.lora_A.weight");
    expect_error(base + "}", {{kPrefix + "lora_A.weight", DType::F32, {2, 32}, 0.5f}, good[1]}, "do not fit");
    expect_error(
        base + "}",
        {{"base_model.model.model.layers.5.self_attn.q_proj.lora_A.weight", DType::F32, {2, 64}, 0.5f}},
        "layer 5");
    expect_error("{not json", good, "adapter_config.json");

    fttest::TempDir bin("peft_bin");
    fttest::write_text(bin / "adapter_config.json", base + "}");
    fttest::write_text(bin / "adapter_model.bin", "pickle");
    auto r = finetune::import_peft(bin.path(), c);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("safe_serialization"), std::string::npos) << r.error().message;
}

TEST(GgufLora, ExportImportRoundTripAndFileLayout) {
    for (Arch arch : {Arch::llama, Arch::qwen2}) {
        const auto c = fttest::small_config(arch);
        LoraAdapter adapter = random_adapter(c, 4, 2);
        fttest::TempDir dir("gguf_lora");
        const std::string path = dir / "lora.gguf";
        ASSERT_TRUE(finetune::export_gguf_lora(path, adapter, c, "tiny lora").ok());
        auto file = engine::GgufFile::open(path);
        ASSERT_TRUE(file.ok()) << file.error().message;
        EXPECT_EQ(file->get_string("general.type"), "adapter");
        EXPECT_EQ(file->get_string("adapter.type"), "lora");
        EXPECT_EQ(file->get_string("general.architecture"), engine::arch_name(arch));
        EXPECT_FLOAT_EQ(float(*file->get_float("adapter.lora.alpha")), 16.0f);  // scale 4 at rank 4
        const auto* qa = file->find_tensor("blk.1.attn_q.weight.lora_a");
        const auto* qb = file->find_tensor("blk.1.attn_q.weight.lora_b");
        const auto* kb = file->find_tensor("blk.1.attn_k.weight.lora_b");
        const auto* db = file->find_tensor("blk.0.ffn_down.weight.lora_b");
        ASSERT_TRUE(qa && qb && kb && db);
        EXPECT_EQ(qa->view.ne[0], c.n_embd);
        EXPECT_EQ(qa->view.ne[1], 4);
        EXPECT_EQ(qb->view.ne[0], 4);
        EXPECT_EQ(qb->view.ne[1], c.q_dim());
        EXPECT_EQ(file->tensors().size(), 2u * 7 * 2);
        // B rows: GGUF row h*d + 2i + s holds HF row h*d + s*d/2 + i for llama Q/K, the same row otherwise.
        const LoraPair& q = *adapter.find(1, LoraTarget::q);
        const LoraPair& k = *adapter.find(1, LoraTarget::k);
        const int64_t d = c.head_dim;
        for (const auto& [t, pair] : {std::pair{qb, &q}, std::pair{kb, &k}})
            for (int64_t row = 0; row < pair->out; ++row) {
                const int64_t h = row / d, j = row % d;
                const int64_t hf = arch == Arch::llama ? h * d + (j % 2) * (d / 2) + j / 2 : row;
                ASSERT_EQ(std::memcmp(t->view.row(row), &pair->b[size_t(hf * 4)], 4 * sizeof(float)), 0)
                    << engine::arch_name(arch) << " row " << row;
            }
        const LoraPair& down = *adapter.find(0, LoraTarget::down);
        EXPECT_EQ(std::memcmp(db->view.data, down.b.data(), down.b.size() * sizeof(float)), 0);

        auto back = finetune::import_gguf_lora(path, c);
        ASSERT_TRUE(back.ok()) << back.error().message;
        EXPECT_TRUE(fttest::same_values(back->adapter, adapter)) << engine::arch_name(arch);
        EXPECT_EQ(back->alpha, 16.0f);
    }
}

TEST(GgufLora, MixedScalesFoldIntoB) {
    const auto c = fttest::small_config(Arch::qwen3);
    LoraAdapter adapter = random_adapter(c, 4, 3, {LoraTarget::v, LoraTarget::o});
    adapter.find(1, LoraTarget::o)->scale = 1.5f;  // the others have 4
    fttest::TempDir dir("gguf_mixed");
    ASSERT_TRUE(finetune::export_gguf_lora(dir / "l.gguf", adapter, c).ok());
    auto back = finetune::import_gguf_lora(dir / "l.gguf", c);
    ASSERT_TRUE(back.ok());
    const LoraPair &orig = *adapter.find(1, LoraTarget::o), &got = *back->adapter.find(1, LoraTarget::o);
    EXPECT_EQ(got.scale, 4.0f);
    for (size_t i = 0; i < orig.b.size(); ++i)
        ASSERT_NEAR(got.b[i] * got.scale, orig.b[i] * orig.scale, 1e-6);
    EXPECT_EQ(got.a, orig.a);
}

TEST(GgufLora, RejectsModelsAndOtherArchitectures) {
    const auto c = fttest::small_config();
    fttest::TempDir dir("gguf_bad");
    auto model = tiny::load(tiny::default_spec(Arch::llama, DType::F32));
    ASSERT_TRUE(model->model);
    auto r = finetune::import_gguf_lora(model->path, model->model->config());
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("general.type"), std::string::npos) << r.error().message;

    LoraAdapter adapter = random_adapter(c, 2, 4);
    ASSERT_TRUE(finetune::export_gguf_lora(dir / "l.gguf", adapter, c).ok());
    r = finetune::import_gguf_lora(dir / "l.gguf", fttest::small_config(Arch::qwen2));
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("architecture 'llama'"), std::string::npos) << r.error().message;
    r = finetune::import_gguf_lora(dir / "l.gguf", fttest::small_config(Arch::llama, 1));
    ASSERT_FALSE(r.ok());  // blk.1 tensors: not a projection of a 1-layer model
    EXPECT_NE(r.error().message.find("blk.1."), std::string::npos) << r.error().message;

    auto write_lora = [&](const std::string& name, const std::vector<std::string>& tensors) {
        engine::GgufWriter g;
        g.set_string("general.architecture", "llama");
        g.set_string("general.type", "adapter");
        g.set_string("adapter.type", "lora");
        g.set_f32("adapter.lora.alpha", 8.0f);
        std::vector<uint8_t> bytes(2 * 64 * sizeof(float), 0);
        for (const auto& t : tensors) {
            const bool is_a = t.ends_with("lora_a");
            EXPECT_TRUE(g.add_tensor(t, DType::F32,
                                     is_a ? std::vector<int64_t>{64, 2} : std::vector<int64_t>{2, 64}, bytes)
                            .ok());
        }
        EXPECT_TRUE(g.write(dir / name).ok());
        return dir / name;
    };
    r = finetune::import_gguf_lora(
        write_lora("embd.gguf", {"token_embd.weight.lora_a", "token_embd.weight.lora_b"}), c);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("token_embd.weight"), std::string::npos) << r.error().message;
    r = finetune::import_gguf_lora(write_lora("half.gguf", {"blk.0.attn_output.weight.lora_a"}), c);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("only lora_a"), std::string::npos) << r.error().message;
    // Norm adapters (mergekit) are skipped as llama.cpp skips them; then nothing is left.
    r = finetune::import_gguf_lora(
        write_lora("norm.gguf", {"blk.0.attn_norm.weight.lora_a", "blk.0.attn_norm.weight.lora_b"}), c);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("no LoRA tensors"), std::string::npos) << r.error().message;
}

// Logits with an adapter read back from either format equal the original's, bit for bit.
TEST(AdapterFormats, ImportedAdaptersGiveIdenticalLogits) {
    for (Arch arch : {Arch::llama, Arch::qwen2, Arch::gemma3}) {
        auto t = tiny::load(tiny::default_spec(arch, DType::Q8_0));
        ASSERT_TRUE(t->model);
        const engine::Model& m = *t->model;
        LoraAdapter adapter = random_adapter(m.config(), 4, 7);
        const std::vector<int32_t> tokens = {1, 17, 4, 33, 9, 60, 2, 11};
        const auto base = fttest::forward_all(m, tokens);
        const auto expected = fttest::forward_all(m, tokens, &adapter);
        ASSERT_FALSE(expected.empty());
        EXPECT_GT(fttest::max_rel_error(base, expected), 1e-3);  // the adapter matters

        fttest::TempDir dir("formats");
        ASSERT_TRUE(finetune::export_peft(dir / "peft", adapter, options16()).ok());
        auto peft = finetune::import_peft(dir / "peft", m.config());
        ASSERT_TRUE(peft.ok()) << peft.error().message;
        EXPECT_EQ(fttest::forward_all(m, tokens, &peft->adapter), expected) << engine::arch_name(arch);

        ASSERT_TRUE(finetune::export_gguf_lora(dir / "lora.gguf", adapter, m.config()).ok());
        auto gguf = finetune::import_gguf_lora(dir / "lora.gguf", m.config());
        ASSERT_TRUE(gguf.ok()) << gguf.error().message;
        EXPECT_EQ(fttest::forward_all(m, tokens, &gguf->adapter), expected) << engine::arch_name(arch);
    }
}

}  // namespace
