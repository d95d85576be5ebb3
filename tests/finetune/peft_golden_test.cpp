// Goldens from PyPI transformers + peft (tests/tools/gen_peft_goldens.py):
// - our forward of the tiny HF models with peft's adapters, imported by
//   import_peft, gives the logits transformers + peft gave;
// - the PEFT folders our CLI wrote from those adapters (tests/golden/peft/ours)
//   were loaded by peft, which recorded its logits: ours match them, and our
//   exporter still writes exactly those folders;
// - merged into a GGUF, the adapted model gives those logits too.
#include <gtest/gtest.h>

#include <filesystem>

#include "../engine/tiny_model.h"
#include "engine/json.h"
#include "engine/quant.h"
#include "engine/safetensors.h"
#include "finetune/gguf_lora.h"
#include "finetune/merge.h"
#include "finetune/peft.h"
#include "test_util.h"

namespace {

using engine::Arch;
using engine::DType;

const std::string kRoot = fttest::golden_dir() + "/peft/";

const engine::json::Value& golden() {
    static const engine::json::Value value = [] {
        auto v = engine::json::parse_file(kRoot + "golden.json");
        EXPECT_TRUE(v.ok()) << v.error().message;
        return v.ok() ? std::move(*v) : engine::json::Value();
    }();
    return value;
}

std::vector<int32_t> tokens() {
    std::vector<int32_t> out;
    for (const auto& t : golden()["tokens"].as_array()) out.push_back(static_cast<int32_t>(t.as_int()));
    return out;
}

std::vector<float> flat_logits(const engine::json::Value& rows) {
    std::vector<float> out;
    for (const auto& row : rows.as_array())
        for (const auto& x : row.as_array()) out.push_back(static_cast<float>(x.as_double()));
    return out;
}

std::unique_ptr<engine::Model> load_model(const std::string& name) {
    auto m = engine::Model::load(kRoot + golden()["models"][name]["folder"].as_string());
    EXPECT_TRUE(m.ok()) << m.error().message;
    return m.ok() ? std::move(*m) : nullptr;
}

// Float32 against float32 (transformers) with the same F16 weights: only summation order differs.
constexpr double kTolerance = 1e-4;

TEST(PeftGolden, BaseModelsMatchTransformers) {
    ASSERT_EQ(golden()["models"].size(), 3u);
    for (const auto& [name, g] : golden()["models"].as_object()) {
        auto m = load_model(name);
        ASSERT_TRUE(m);
        EXPECT_LT(fttest::max_rel_error(fttest::forward_all(*m, tokens()), flat_logits(g["base_logits"])),
                  kTolerance)
            << name;
    }
}

TEST(PeftGolden, PeftAdaptersImportAndMatchTransformersPlusPeft) {
    ASSERT_EQ(golden()["adapters"].size(), 4u);
    for (const auto& [name, g] : golden()["adapters"].as_object()) {
        auto m = load_model(g["model"].as_string());
        ASSERT_TRUE(m);
        auto adapter = finetune::import_peft(kRoot + g["folder"].as_string(), m->config());
        ASSERT_TRUE(adapter.ok()) << adapter.error().message;
        const auto expected = flat_logits(g["logits"]);
        const auto got = fttest::forward_all(*m, tokens(), &adapter->adapter);
        EXPECT_LT(fttest::max_rel_error(got, expected), kTolerance) << name;
        // And the adapter is doing something our base forward alone would miss.
        EXPECT_GT(fttest::max_rel_error(fttest::forward_all(*m, tokens()), expected), 100 * kTolerance)
            << name;
    }
}

TEST(PeftGolden, PeftLoadsOurFoldersAsWeDo) {
    const auto& ours = golden()["ours"];
    ASSERT_EQ(ours.size(), 5u) << "run gen_peft_goldens.py --ours";
    for (const auto& [name, g] : ours.as_object()) {
        auto m = load_model(g["model"].as_string());
        ASSERT_TRUE(m);
        const std::string folder = kRoot + g["folder"].as_string();
        auto adapter = finetune::import_peft(folder, m->config());
        ASSERT_TRUE(adapter.ok()) << adapter.error().message;
        // peft found a LoRA module for every tensor of our file...
        auto file = engine::SafetensorsFile::open(folder + "/adapter_model.safetensors");
        ASSERT_TRUE(file.ok());
        EXPECT_EQ(g["lora_tensors_loaded"].as_int(), static_cast<int64_t>(file->tensors().size())) << name;
        // ...and computed with it the logits we compute.
        const auto got = fttest::forward_all(*m, tokens(), &adapter->adapter);
        EXPECT_LT(fttest::max_rel_error(got, flat_logits(g["logits"])), kTolerance) << name;
    }
}

// The committed folders are what the exporter writes today (else they must be regenerated and re-checked).
TEST(PeftGolden, OurExporterStillWritesTheCheckedFolders) {
    for (const auto& [name, g] : golden()["ours"].as_object()) {
        const std::string from = g["converted_from"].as_string();
        const auto& source = golden()["adapters"][from];
        auto m = load_model(g["model"].as_string());
        ASSERT_TRUE(m);
        auto adapter = finetune::import_peft(kRoot + source["folder"].as_string(), m->config());
        ASSERT_TRUE(adapter.ok());
        fttest::TempDir dir("ours");
        finetune::PeftOptions options = adapter->options;
        if (name.ends_with("-via-gguf")) {
            ASSERT_TRUE(finetune::export_gguf_lora(dir / "l.gguf", adapter->adapter, m->config()).ok());
            auto back = finetune::import_gguf_lora(dir / "l.gguf", m->config());
            ASSERT_TRUE(back.ok());
            adapter->adapter = std::move(back->adapter);
            options.alpha = back->alpha;
        }
        ASSERT_TRUE(finetune::export_peft(dir / "out", adapter->adapter, options).ok());
        const std::string folder = kRoot + g["folder"].as_string();
        for (const char* file : {"adapter_config.json", "adapter_model.safetensors"})
            EXPECT_EQ(fttest::read_text(dir / "out/" + file), fttest::read_text(folder + "/" + file))
                << name << "/" << file;
    }
}

// The golden HF folder as a GGUF (what llama.cpp's converter would write), via tests/engine/tiny_model.
std::string gguf_name(Arch arch, const std::string& hf) {
    if (hf == "model.embed_tokens.weight") return "token_embd.weight";
    if (hf == "model.norm.weight") return "output_norm.weight";
    if (hf == "lm_head.weight") return "output.weight";
    const std::string prefix = "model.layers.";
    const size_t dot = hf.find('.', prefix.size());
    const std::string layer = hf.substr(prefix.size(), dot - prefix.size()), rest = hf.substr(dot + 1);
    const bool gemma = arch == Arch::gemma3;
    const std::map<std::string, std::string> names = {
        {"input_layernorm.weight", "attn_norm.weight"},
        {"self_attn.q_proj.weight", "attn_q.weight"},
        {"self_attn.k_proj.weight", "attn_k.weight"},
        {"self_attn.v_proj.weight", "attn_v.weight"},
        {"self_attn.o_proj.weight", "attn_output.weight"},
        {"self_attn.q_proj.bias", "attn_q.bias"},
        {"self_attn.k_proj.bias", "attn_k.bias"},
        {"self_attn.v_proj.bias", "attn_v.bias"},
        {"self_attn.q_norm.weight", "attn_q_norm.weight"},
        {"self_attn.k_norm.weight", "attn_k_norm.weight"},
        {"post_attention_layernorm.weight", gemma ? "post_attention_norm.weight" : "ffn_norm.weight"},
        {"pre_feedforward_layernorm.weight", "ffn_norm.weight"},
        {"post_feedforward_layernorm.weight", "post_ffw_norm.weight"},
        {"mlp.gate_proj.weight", "ffn_gate.weight"},
        {"mlp.up_proj.weight", "ffn_up.weight"},
        {"mlp.down_proj.weight", "ffn_down.weight"},
    };
    return "blk." + layer + "." + names.at(rest);
}

TEST(PeftGolden, MergedGgufMatchesTransformersPlusPeft) {
    for (const auto& [name, g] : golden()["adapters"].as_object()) {
        auto hf_model = load_model(g["model"].as_string());
        ASSERT_TRUE(hf_model);
        const engine::ModelConfig& c = hf_model->config();
        tiny::TinySpec spec;
        spec.arch = c.arch;
        spec.n_layer = c.n_layer;
        spec.n_embd = c.n_embd;
        spec.n_head = c.n_head;
        spec.n_head_kv = c.n_head_kv;
        spec.head_dim = c.head_dim;
        spec.n_ff = c.n_ff;
        spec.n_vocab = c.n_vocab;
        spec.sliding_window = c.sliding_window;
        spec.tied = c.tied_embeddings;
        tiny::HfWeights weights;
        auto st = engine::SafetensorsFile::open(
            kRoot + golden()["models"][g["model"].as_string()]["folder"].as_string() + "/model.safetensors");
        ASSERT_TRUE(st.ok());
        for (const auto& t : st->tensors()) {
            std::vector<float> values(static_cast<size_t>(t.view.n_elements()));
            engine::dequantize_row(t.view.type, t.view.data, values.data(), t.view.n_elements());
            weights[gguf_name(c.arch, t.name)] = tiny::HfTensor{t.shape, std::move(values)};
        }
        fttest::TempDir dir("golden_merge");
        ASSERT_TRUE(tiny::write_gguf(spec, weights, dir / "base.gguf").ok());
        auto base = engine::Model::load(dir / "base.gguf");
        ASSERT_TRUE(base.ok()) << base.error().message;
        // The GGUF form is the same model.
        EXPECT_LT(
            fttest::max_rel_error(fttest::forward_all(**base, tokens()),
                                  flat_logits(golden()["models"][g["model"].as_string()]["base_logits"])),
            kTolerance)
            << name;

        auto adapter = finetune::import_peft(kRoot + g["folder"].as_string(), c);
        ASSERT_TRUE(adapter.ok());
        engine::ThreadPool pool(2);
        const auto expected = flat_logits(g["logits"]);
        for (DType type : {DType::F16, DType::Q8_0}) {
            finetune::MergeOptions options;
            options.type = type;
            ASSERT_TRUE(
                finetune::merge_to_gguf(dir / "merged.gguf", **base, adapter->adapter, options, pool).ok());
            auto merged = engine::Model::load(dir / "merged.gguf");
            ASSERT_TRUE(merged.ok()) << merged.error().message;
            // F16: weight rounding only; Q8_0 adds int8 activations (the engine's fast-path bound is 0.12).
            EXPECT_LT(fttest::max_rel_error(fttest::forward_all(**merged, tokens()), expected),
                      type == DType::F16 ? 5e-3 : 0.12)
                << name << " " << engine::dtype_name(type);
        }
    }
}

}  // namespace
