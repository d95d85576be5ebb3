#include "tiny_model.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include "engine/gguf.h"
#include "engine/quant.h"
#include "engine/safetensors.h"
#include "tokenizer/byte_alphabet.h"

namespace tiny {
namespace {

using engine::Arch;
using engine::DType;

bool is_k_quant(DType t) { return t == DType::Q4_K || t == DType::Q5_K || t == DType::Q6_K; }

// HF -> GGUF row order for llama Q/K (what convert_hf_to_gguf.py's permute does):
// GGUF row h*d + 2i + s holds HF row h*d + s*(d/2) + i.
std::vector<float> permute_rows(const HfTensor& w, int64_t n_heads) {
    const int64_t rows = w.shape[0], cols = w.shape[1], d = rows / n_heads, half = d / 2;
    std::vector<float> out(w.data.size());
    for (int64_t h = 0; h < n_heads; ++h)
        for (int64_t i = 0; i < half; ++i)
            for (int64_t s = 0; s < 2; ++s)
                std::memcpy(&out[static_cast<size_t>((h * d + 2 * i + s) * cols)],
                            &w.data[static_cast<size_t>((h * d + s * half + i) * cols)],
                            static_cast<size_t>(cols) * sizeof(float));
    return out;
}

engine::Result<std::vector<uint8_t>> encode(DType type, const std::vector<float>& data, int64_t cols) {
    const int64_t rows = static_cast<int64_t>(data.size()) / cols;
    const size_t row_bytes = engine::dtype_row_bytes(type, cols);
    std::vector<uint8_t> out(row_bytes * static_cast<size_t>(rows));
    for (int64_t r = 0; r < rows; ++r) {
        auto st = engine::quantize_row(type, &data[static_cast<size_t>(r * cols)],
                                       &out[row_bytes * static_cast<size_t>(r)], cols);
        if (!st.ok()) return engine::Error{st.error()};
    }
    return out;
}

// Llama 3.1 rope scaling with a short original context (64) so that, for a
// head_dim of 16 and base 10000, frequencies fall in all three bands.
constexpr double kRopeFactor = 8.0, kLowFreqFactor = 1.0, kHighFreqFactor = 4.0, kOldContext = 64.0;

// The per-frequency divisors llama.cpp's converter derives from that config.
std::vector<float> llama3_factors(int64_t head_dim, double theta) {
    std::vector<float> out;
    for (int64_t i = 0; i < head_dim / 2; ++i) {
        double wavelen = 2.0 * M_PI * std::pow(theta, 2.0 * double(i) / double(head_dim));
        double low_wavelen = kOldContext / kLowFreqFactor, high_wavelen = kOldContext / kHighFreqFactor;
        double f;
        if (wavelen < high_wavelen)
            f = 1.0;
        else if (wavelen > low_wavelen)
            f = kRopeFactor;
        else {
            double smooth = (kOldContext / wavelen - kLowFreqFactor) / (kHighFreqFactor - kLowFreqFactor);
            f = 1.0 / ((1.0 - smooth) / kRopeFactor + smooth);
        }
        out.push_back(float(f));
    }
    return out;
}

double rope_base(Arch arch) { return arch == Arch::llama ? 10000.0 : 1000000.0; }

// GGUF name -> Hugging Face name.
std::string hf_name(Arch arch, const std::string& gguf) {
    if (gguf == "token_embd.weight") return "model.embed_tokens.weight";
    if (gguf == "output_norm.weight") return "model.norm.weight";
    if (gguf == "output.weight") return "lm_head.weight";
    const size_t dot1 = gguf.find('.'), dot2 = gguf.find('.', dot1 + 1);
    const std::string layer = gguf.substr(dot1 + 1, dot2 - dot1 - 1);
    const std::string rest = gguf.substr(dot2 + 1);
    const bool gemma = arch == Arch::gemma3;
    const std::map<std::string, std::string> names = {
        {"attn_norm.weight", "input_layernorm.weight"},
        {"attn_q.weight", "self_attn.q_proj.weight"},
        {"attn_k.weight", "self_attn.k_proj.weight"},
        {"attn_v.weight", "self_attn.v_proj.weight"},
        {"attn_output.weight", "self_attn.o_proj.weight"},
        {"attn_q.bias", "self_attn.q_proj.bias"},
        {"attn_k.bias", "self_attn.k_proj.bias"},
        {"attn_v.bias", "self_attn.v_proj.bias"},
        {"attn_q_norm.weight", "self_attn.q_norm.weight"},
        {"attn_k_norm.weight", "self_attn.k_norm.weight"},
        {"ffn_norm.weight", gemma ? "pre_feedforward_layernorm.weight" : "post_attention_layernorm.weight"},
        {"post_attention_norm.weight", "post_attention_layernorm.weight"},
        {"post_ffw_norm.weight", "post_feedforward_layernorm.weight"},
        {"ffn_gate.weight", "mlp.gate_proj.weight"},
        {"ffn_up.weight", "mlp.up_proj.weight"},
        {"ffn_down.weight", "mlp.down_proj.weight"},
    };
    return "model.layers." + layer + "." + names.at(rest);
}

}  // namespace

TinySpec default_spec(Arch arch, DType type) {
    TinySpec s;
    s.arch = arch;
    s.type = type;
    const bool k = is_k_quant(type);
    if (k) {
        s.n_embd = 256;
        s.n_ff = 256;
        s.head_dim = 64;
    }
    switch (arch) {
        case Arch::llama:
            s.tied = false;
            s.rope_freqs = true;
            break;
        case Arch::qwen2:
            s.tied = false;
            break;
        case Arch::qwen3:
            break;
        case Arch::gemma3:
            s.n_layer = 6;
            s.sliding_window = 4;
            s.head_dim = 32;
            s.n_head = k ? 8 : 4;  // q_dim 256 for K-quants, 128 (!= n_embd, like real Gemma) otherwise
            break;
    }
    s.seed = 1000u + static_cast<uint32_t>(arch) * 37u + static_cast<uint32_t>(type);
    return s;
}

HfWeights make_weights(const TinySpec& s) {
    std::mt19937 rng(s.seed);
    std::uniform_real_distribution<float> uni(-1.0f, 1.0f);
    HfWeights w;
    // Uniform in [-a, a] has standard deviation a/sqrt(3); linear weights get 1/sqrt(fan_in).
    auto matrix = [&](const std::string& name, int64_t rows, int64_t cols, float std_dev) {
        HfTensor t{{rows, cols}, std::vector<float>(static_cast<size_t>(rows * cols))};
        for (float& v : t.data) v = uni(rng) * std_dev * std::sqrt(3.0f);
        w[name] = std::move(t);
    };
    auto vector = [&](const std::string& name, int64_t n, float center, float spread) {
        HfTensor t{{n}, std::vector<float>(static_cast<size_t>(n))};
        for (float& v : t.data) v = center + spread * uni(rng);
        w[name] = std::move(t);
    };
    const bool gemma = s.arch == Arch::gemma3;
    // HF norm weights: multiplier w (llama/qwen) or the w of (1 + w) (gemma).
    const float norm_center = gemma ? 0.0f : 1.0f;
    const int64_t q_dim = s.n_head * s.head_dim, kv_dim = s.n_head_kv * s.head_dim;
    auto lin = [&](const std::string& name, int64_t out, int64_t in) {
        matrix(name, out, in, 1.0f / std::sqrt(static_cast<float>(in)));
    };
    matrix("token_embd.weight", s.n_vocab, s.n_embd, gemma ? 0.2f : 1.0f);
    vector("output_norm.weight", s.n_embd, norm_center, 0.2f);
    if (!s.tied) lin("output.weight", s.n_vocab, s.n_embd);
    if (s.rope_freqs)
        w["rope_freqs.weight"] = HfTensor{{s.head_dim / 2}, llama3_factors(s.head_dim, rope_base(s.arch))};
    for (int64_t il = 0; il < s.n_layer; ++il) {
        auto n = [&](const char* base, const char* suffix = "weight") {
            return "blk." + std::to_string(il) + "." + base + "." + suffix;
        };
        vector(n("attn_norm"), s.n_embd, norm_center, 0.2f);
        lin(n("attn_q"), q_dim, s.n_embd);
        lin(n("attn_k"), kv_dim, s.n_embd);
        lin(n("attn_v"), kv_dim, s.n_embd);
        lin(n("attn_output"), s.n_embd, q_dim);
        if (s.arch == Arch::qwen2) {
            vector(n("attn_q", "bias"), q_dim, 0.0f, 0.3f);
            vector(n("attn_k", "bias"), kv_dim, 0.0f, 0.3f);
            vector(n("attn_v", "bias"), kv_dim, 0.0f, 0.3f);
        }
        if (s.arch == Arch::qwen3 || gemma) {
            vector(n("attn_q_norm"), s.head_dim, norm_center, 0.2f);
            vector(n("attn_k_norm"), s.head_dim, norm_center, 0.2f);
        }
        vector(n("ffn_norm"), s.n_embd, norm_center, 0.2f);
        lin(n("ffn_gate"), s.n_ff, s.n_embd);
        lin(n("ffn_up"), s.n_ff, s.n_embd);
        lin(n("ffn_down"), s.n_embd, s.n_ff);
        if (gemma) {
            vector(n("post_attention_norm"), s.n_embd, norm_center, 0.2f);
            vector(n("post_ffw_norm"), s.n_embd, norm_center, 0.2f);
        }
    }
    return w;
}

engine::Status write_gguf(const TinySpec& s, const HfWeights& weights, const std::string& path) {
    engine::GgufWriter g;
    const std::string a(engine::arch_name(s.arch));
    const bool gemma = s.arch == Arch::gemma3;
    g.set_string("general.architecture", a);
    g.set_string("general.name", "tiny-" + a);
    g.set_u32(a + ".block_count", static_cast<uint32_t>(s.n_layer));
    g.set_u32(a + ".context_length", 256);
    g.set_u32(a + ".embedding_length", static_cast<uint32_t>(s.n_embd));
    g.set_u32(a + ".feed_forward_length", static_cast<uint32_t>(s.n_ff));
    g.set_u32(a + ".attention.head_count", static_cast<uint32_t>(s.n_head));
    g.set_u32(a + ".attention.head_count_kv", static_cast<uint32_t>(s.n_head_kv));
    g.set_f32(a + ".attention.layer_norm_rms_epsilon", s.arch == Arch::llama ? 1e-5f : 1e-6f);
    g.set_f32(a + ".rope.freq_base", float(rope_base(s.arch)));
    if (gemma || s.arch == Arch::qwen3) {
        g.set_u32(a + ".attention.key_length", static_cast<uint32_t>(s.head_dim));
        g.set_u32(a + ".attention.value_length", static_cast<uint32_t>(s.head_dim));
    } else {
        g.set_u32(a + ".rope.dimension_count", static_cast<uint32_t>(s.head_dim));
    }
    if (gemma) g.set_u32(a + ".attention.sliding_window", static_cast<uint32_t>(s.sliding_window));
    g.set_u32("general.quantization_version", 2);
    if (s.with_tokenizer) {
        if (s.n_vocab < kTinyTokenizerVocab)
            return engine::make_error("[tiny] with_tokenizer needs n_vocab >= " +
                                      std::to_string(kTinyTokenizerVocab));
        std::vector<std::string> tokens;
        std::vector<int32_t> types;
        for (int b = 0; b < 256; ++b) {
            tokens.push_back(engine::byte_alphabet::from_bytes(std::string(1, static_cast<char>(b))));
            types.push_back(1);  // normal
        }
        tokens.push_back("<|im_start|>");
        tokens.push_back("<|im_end|>");
        types.push_back(3);  // control
        types.push_back(3);
        for (int64_t i = kTinyTokenizerVocab; i < s.n_vocab; ++i) {
            tokens.push_back("<unused" + std::to_string(i) + ">");
            types.push_back(5);  // unused
        }
        g.set_string("tokenizer.ggml.model", "gpt2");
        g.set_string("tokenizer.ggml.pre", "smollm");
        g.set_string_array("tokenizer.ggml.tokens", std::move(tokens));
        g.set_i32_array("tokenizer.ggml.token_type", std::move(types));
        g.set_string_array("tokenizer.ggml.merges", {});
        g.set_u32("tokenizer.ggml.eos_token_id", 257);
        g.set_u32("tokenizer.ggml.bos_token_id", 256);
        g.set_bool("tokenizer.ggml.add_bos_token", false);
        g.set_string(
            "tokenizer.chat_template",
            "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + "
            "'<|im_end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' "
            "}}{% endif %}");
    }

    for (const auto& [name, t] : weights) {
        std::vector<float> data = t.data;
        const bool is_vector = t.shape.size() == 1;
        const bool llama_qk =
            s.arch == Arch::llama && (name.ends_with("attn_q.weight") || name.ends_with("attn_k.weight"));
        if (llama_qk) data = permute_rows(t, name.ends_with("attn_q.weight") ? s.n_head : s.n_head_kv);
        // Gemma's converter stores norm weights as 1 + w.
        if (gemma && name.ends_with("norm.weight"))
            for (float& v : data) v += 1.0f;
        if (is_vector) {
            std::vector<uint8_t> bytes(data.size() * sizeof(float));
            std::memcpy(bytes.data(), data.data(), bytes.size());
            auto st = g.add_tensor(name, DType::F32, {t.shape[0]}, std::move(bytes));
            if (!st.ok()) return st;
        } else {
            auto bytes = encode(s.type, data, t.shape[1]);
            if (!bytes.ok()) return engine::Error{bytes.error()};
            auto st = g.add_tensor(name, s.type, {t.shape[1], t.shape[0]}, std::move(*bytes));
            if (!st.ok()) return st;
        }
    }
    return g.write(path);
}

engine::Status write_hf_folder(const TinySpec& s, const HfWeights& weights, DType type,
                               const std::string& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return engine::make_error("[tiny] cannot create " + dir);
    const bool gemma = s.arch == Arch::gemma3;
    const char* model_type[] = {"llama", "qwen2", "qwen3", "gemma3_text"};
    std::string cfg = "{\n";
    auto kv = [&](const std::string& key, const std::string& value) {
        cfg += "  \"" + key + "\": " + value + ",\n";
    };
    kv("model_type", std::string("\"") + model_type[int(s.arch)] + "\"");
    kv("hidden_size", std::to_string(s.n_embd));
    kv("intermediate_size", std::to_string(s.n_ff));
    kv("num_hidden_layers", std::to_string(s.n_layer));
    kv("num_attention_heads", std::to_string(s.n_head));
    kv("num_key_value_heads", std::to_string(s.n_head_kv));
    kv("head_dim", std::to_string(s.head_dim));
    kv("vocab_size", std::to_string(s.n_vocab));
    kv("max_position_embeddings", "256");
    kv("rms_norm_eps", s.arch == Arch::llama ? "1e-05" : "1e-06");
    kv("rope_theta", s.arch == Arch::llama ? "10000.0" : "1000000.0");
    kv("tie_word_embeddings", s.tied ? "true" : "false");
    if (s.rope_freqs)
        kv("rope_scaling",
           "{\"rope_type\": \"llama3\", \"factor\": 8.0, \"low_freq_factor\": 1.0, "
           "\"high_freq_factor\": 4.0, \"original_max_position_embeddings\": 64}");
    if (gemma) {
        kv("query_pre_attn_scalar", std::to_string(s.head_dim));
        kv("rope_local_base_freq", "10000.0");
        kv("sliding_window", std::to_string(s.sliding_window));
        kv("hidden_activation", "\"gelu_pytorch_tanh\"");
        std::string types = "[";
        for (int64_t il = 0; il < s.n_layer; ++il)
            types +=
                std::string(il ? ", " : "") + ((il + 1) % 6 ? "\"sliding_attention\"" : "\"full_attention\"");
        kv("layer_types", types + "]");
    }
    cfg += "  \"torch_dtype\": \"float32\"\n}\n";
    {
        std::ofstream f(dir + "/config.json");
        f << cfg;
        if (!f) return engine::make_error("[tiny] cannot write config.json");
    }
    engine::SafetensorsWriter st;
    for (const auto& [name, t] : weights) {
        if (name == "rope_freqs.weight") continue;  // HF derives these from rope_scaling
        std::vector<uint8_t> bytes(engine::dtype_row_bytes(type, int64_t(t.data.size())));
        auto q = engine::quantize_row(type, t.data.data(), bytes.data(), int64_t(t.data.size()));
        if (!q.ok()) return q;
        auto added = st.add_tensor(hf_name(s.arch, name), type, t.shape, std::move(bytes));
        if (!added.ok()) return added;
    }
    return st.write(dir + "/model.safetensors");
}

std::string temp_path(const std::string& stem) {
    static int counter = 0;
    auto dir = std::filesystem::temp_directory_path();
    return (dir / ("crucible_" + stem + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) +
                   ".gguf"))
        .string();
}

Loaded::~Loaded() { std::remove(path.c_str()); }

std::unique_ptr<Loaded> load(const TinySpec& spec, bool bf16_values) {
    auto out = std::make_unique<Loaded>();
    out->spec = spec;
    out->hf = make_weights(spec);
    if (bf16_values)
        for (auto& [name, t] : out->hf)
            if (name != "rope_freqs.weight")  // a table derived from the config, not a weight
                for (float& v : t.data) v = engine::bf16_to_fp32(engine::fp32_to_bf16(v));
    out->path = temp_path(std::string(engine::arch_name(spec.arch)) + "_" +
                          std::string(engine::dtype_name(spec.type)));
    auto st = write_gguf(spec, out->hf, out->path);
    EXPECT_TRUE(st.ok()) << st.error().message;
    auto m = engine::Model::load(out->path);
    EXPECT_TRUE(m.ok()) << m.error().message;
    if (m.ok()) out->model = std::move(*m);
    return out;
}

}  // namespace tiny
