#include "tiny_model.h"

#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <random>

#include "engine/gguf.h"
#include "engine/quant.h"

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
    if (s.rope_freqs) vector("rope_freqs.weight", s.head_dim / 2, 4.5f, 3.5f);  // factors in [1, 8]
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
    g.set_f32(a + ".rope.freq_base", s.arch == Arch::llama ? 10000.0f : 1000000.0f);
    if (gemma || s.arch == Arch::qwen3) {
        g.set_u32(a + ".attention.key_length", static_cast<uint32_t>(s.head_dim));
        g.set_u32(a + ".attention.value_length", static_cast<uint32_t>(s.head_dim));
    } else {
        g.set_u32(a + ".rope.dimension_count", static_cast<uint32_t>(s.head_dim));
    }
    if (gemma) g.set_u32(a + ".attention.sliding_window", static_cast<uint32_t>(s.sliding_window));
    g.set_u32("general.quantization_version", 2);

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

std::string temp_path(const std::string& stem) {
    static int counter = 0;
    auto dir = std::filesystem::temp_directory_path();
    return (dir / ("crucible_" + stem + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) +
                   ".gguf"))
        .string();
}

}  // namespace tiny
