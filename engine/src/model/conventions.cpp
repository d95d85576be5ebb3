// Format conventions, one rule per comment. See conventions.h.
#include "model/conventions.h"

#include <cmath>
#include <cstring>

namespace engine {

std::string_view arch_name(Arch arch) {
    switch (arch) {
        case Arch::llama:
            return "llama";
        case Arch::qwen2:
            return "qwen2";
        case Arch::qwen3:
            return "qwen3";
        case Arch::gemma3:
            return "gemma3";
    }
    return "?";
}

std::optional<Arch> arch_from_name(std::string_view name) {
    for (Arch a : {Arch::llama, Arch::qwen2, Arch::qwen3, Arch::gemma3})
        if (arch_name(a) == name) return a;
    return std::nullopt;
}

namespace conventions {
namespace {

// Rule: Gemma 3 alternates 5 sliding-window layers with 1 global layer when the
// file does not say otherwise (llama.cpp hard-codes the same period).
constexpr int64_t kGemma3SlidingPeriod = 6;
// Rule: Gemma 3 local (sliding) layers use RoPE base 10000; GGUF files carry
// only the global base (gemma3.rope.freq_base).
constexpr float kGemma3LocalRopeBase = 10000.0f;
// Rule: Gemma 3 27B (62 layers) scales queries by (n_embd / n_head)^-0.5
// (query_pre_attn_scalar 168); every other size uses head_dim^-0.5.
constexpr int64_t kGemma3_27bLayers = 62;

Error config_error(const GgufFile& file, const std::string& what) {
    return make_error("[model] " + file.origin() + ": " + what);
}

}  // namespace

std::string gguf_layer_tensor(int64_t layer, const char* base, const char* suffix) {
    return "blk." + std::to_string(layer) + "." + base + "." + suffix;
}

Result<ModelConfig> config_from_gguf(const GgufFile& file) {
    auto arch_str = file.get_string("general.architecture");
    if (!arch_str) return config_error(file, "missing general.architecture");
    auto arch = arch_from_name(*arch_str);
    if (!arch)
        return config_error(file, "unsupported architecture '" + std::string(*arch_str) +
                                      "' (supported: llama, qwen2, qwen3, gemma3)");
    const std::string a(*arch_str);
    ModelConfig c;
    c.arch = *arch;

    auto need_int = [&](const std::string& key, int64_t& out) -> Status {
        auto v = file.get_int(a + "." + key);
        if (!v) return config_error(file, "missing integer key '" + a + "." + key + "'");
        if (*v <= 0)
            return config_error(file, "'" + a + "." + key + "' = " + std::to_string(*v) + " is not positive");
        out = *v;
        return {};
    };
    ENGINE_TRY(need_int("block_count", c.n_layer));
    ENGINE_TRY(need_int("embedding_length", c.n_embd));
    ENGINE_TRY(need_int("feed_forward_length", c.n_ff));
    ENGINE_TRY(need_int("attention.head_count", c.n_head));
    c.n_head_kv = file.get_int(a + ".attention.head_count_kv").value_or(c.n_head);
    // Rule: head_dim is attention.key_length when present (Qwen3, Gemma), else n_embd / n_head.
    c.head_dim = file.get_int(a + ".attention.key_length").value_or(c.n_embd / c.n_head);
    int64_t value_dim = file.get_int(a + ".attention.value_length").value_or(c.head_dim);
    if (value_dim != c.head_dim)
        return config_error(file, "value_length " + std::to_string(value_dim) + " differs from key_length " +
                                      std::to_string(c.head_dim));
    if (c.n_head_kv <= 0 || c.n_head % c.n_head_kv != 0)
        return config_error(file, "head_count " + std::to_string(c.n_head) +
                                      " is not a multiple of head_count_kv " + std::to_string(c.n_head_kv));
    if (c.head_dim <= 0 || c.head_dim % 2 != 0)
        return config_error(
            file, "head dimension " + std::to_string(c.head_dim) + " is not a positive even number");
    if (auto rope_dims = file.get_int(a + ".rope.dimension_count"); rope_dims && *rope_dims != c.head_dim)
        return config_error(file, "partial rotary embeddings (rope.dimension_count " +
                                      std::to_string(*rope_dims) + " < head_dim " +
                                      std::to_string(c.head_dim) + ") are not supported");
    c.n_ctx_train = file.get_int(a + ".context_length").value_or(0);
    c.rms_eps = static_cast<float>(file.get_float(a + ".attention.layer_norm_rms_epsilon").value_or(1e-6));
    c.rope_theta = static_cast<float>(file.get_float(a + ".rope.freq_base").value_or(10000.0));
    c.rope_theta_local = c.rope_theta;

    // Rule: linear RoPE scaling divides positions by the factor; other kinds are not supported.
    if (auto kind = file.get_string(a + ".rope.scaling.type"); kind && *kind != "none") {
        auto factor = file.get_float(a + ".rope.scaling.factor");
        if (*kind != "linear" || !factor || *factor <= 0.0)
            return config_error(file, "unsupported rope scaling '" + std::string(*kind) + "'");
        c.rope_freq_scale = static_cast<float>(1.0 / *factor);
    }
    // Rule: Llama 3.1-style scaling arrives as a rope_freqs.weight tensor of
    // head_dim/2 divisors, one per rotary frequency (same index in HF layout).
    if (const GgufTensor* ff = file.find_tensor("rope_freqs.weight")) {
        if (ff->view.type != DType::F32 || ff->view.n_elements() != c.head_dim / 2)
            return config_error(file, "rope_freqs.weight must be F32 with head_dim/2 = " +
                                          std::to_string(c.head_dim / 2) + " elements");
        c.rope_freq_factors.resize(static_cast<size_t>(c.head_dim / 2));
        std::memcpy(c.rope_freq_factors.data(), ff->view.data, c.rope_freq_factors.size() * sizeof(float));
    }

    const GgufTensor* embd = file.find_tensor("token_embd.weight");
    if (!embd) return config_error(file, "missing tensor 'token_embd.weight'");
    c.n_vocab = embd->view.ne[1];
    // Rule: no output.weight means the output head is tied to the token embeddings.
    c.tied_embeddings = file.find_tensor("output.weight") == nullptr;
    c.attn_scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(c.head_dim)));
    c.layer_sliding.assign(static_cast<size_t>(c.n_layer), false);

    switch (c.arch) {
        case Arch::llama:
            break;
        case Arch::qwen2:
            // Rule: Qwen2 has biases on the q, k and v projections.
            c.qkv_bias = true;
            break;
        case Arch::qwen3:
            // Rule: Qwen3 normalizes each q and k head (RMSNorm over head_dim) before RoPE.
            c.qk_norm = true;
            break;
        case Arch::gemma3: {
            c.qk_norm = true;
            c.post_norms = true;
            // Rule: Gemma uses GeGLU with the tanh GELU approximation ("gelu_pytorch_tanh").
            c.activation = Activation::gelu_tanh;
            // Rule: Gemma multiplies token embeddings by sqrt(n_embd) (not applied to the tied output head).
            c.embd_scale = std::sqrt(static_cast<float>(c.n_embd));
            if (c.n_layer == kGemma3_27bLayers)
                c.attn_scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(c.n_embd / c.n_head)));
            c.rope_theta_local = kGemma3LocalRopeBase;
            c.sliding_window = file.get_int(a + ".attention.sliding_window").value_or(0);
            int64_t period =
                file.get_int(a + ".attention.sliding_window_pattern").value_or(kGemma3SlidingPeriod);
            if (period <= 0) return config_error(file, "sliding_window_pattern must be positive");
            for (int64_t il = 0; il < c.n_layer; ++il)
                c.layer_sliding[static_cast<size_t>(il)] = (il + 1) % period != 0;
            break;
        }
    }
    return c;
}

// Rule: llama-arch GGUFs (Llama, SmolLM, Mistral) were converted with Q/K rows
// permuted for interleaved RoPE; Qwen2/Qwen3/Gemma3 keep HF order (NEOX RoPE).
bool gguf_qk_permuted(Arch arch) { return arch == Arch::llama; }

// The converter maps HF row h*d + s*(d/2) + i to GGUF row h*d + 2*i + s
// (w.reshape(n_heads, 2, d/2, cols).swapaxes(1, 2)); we apply the inverse.
void unpermute_qk_rows(const TensorView& src, int64_t n_heads, uint8_t* dst) {
    const int64_t rows = src.n_rows(), head_dim = rows / n_heads, half = head_dim / 2;
    const size_t row_bytes = src.row_bytes();
    for (int64_t h = 0; h < n_heads; ++h)
        for (int64_t i = 0; i < half; ++i)
            for (int64_t s = 0; s < 2; ++s) {
                int64_t gguf_row = h * head_dim + 2 * i + s;
                int64_t hf_row = h * head_dim + s * half + i;
                std::memcpy(dst + static_cast<size_t>(hf_row) * row_bytes, src.row(gguf_row), row_bytes);
            }
}

void unpermute_qk_values(const float* src, int64_t n_rows, int64_t n_heads, float* dst) {
    const int64_t head_dim = n_rows / n_heads, half = head_dim / 2;
    for (int64_t h = 0; h < n_heads; ++h)
        for (int64_t i = 0; i < half; ++i)
            for (int64_t s = 0; s < 2; ++s) dst[h * head_dim + s * half + i] = src[h * head_dim + 2 * i + s];
}

// Rule: HF Gemma RMSNorm computes x_hat * (1 + w) and GGUF files store w + 1,
// so canonical = GGUF form and an HF Gemma checkpoint gets +1 at load.
float hf_norm_weight_offset(Arch arch) { return arch == Arch::gemma3 ? 1.0f : 0.0f; }

}  // namespace conventions
}  // namespace engine

namespace engine::conventions {
namespace {

// Rule: Llama 3.1 "llama3" rope scaling, turned into per-frequency divisors
// exactly as llama.cpp's converter does when it writes rope_freqs.weight:
// long wavelengths are divided by `factor`, short ones kept, the band between
// the two thresholds interpolated smoothly.
std::vector<float> llama3_rope_factors(const json::Value& s, double theta, int64_t head_dim) {
    const double factor = s["factor"].get_double().value_or(8.0);
    const double low = s["low_freq_factor"].get_double().value_or(1.0);
    const double high = s["high_freq_factor"].get_double().value_or(4.0);
    const double old_ctx = s["original_max_position_embeddings"].get_double().value_or(8192.0);
    const double low_wavelen = old_ctx / low, high_wavelen = old_ctx / high;
    std::vector<float> out;
    for (int64_t i = 0; i < head_dim; i += 2) {
        const double freq = 1.0 / std::pow(theta, double(i) / double(head_dim));
        const double wavelen = 2.0 * 3.14159265358979323846 / freq;
        double f = 1.0;
        if (wavelen > low_wavelen) {
            f = factor;
        } else if (wavelen >= high_wavelen) {
            const double smooth = (old_ctx / wavelen - low) / (high - low);
            f = 1.0 / ((1.0 - smooth) / factor + smooth);
        }
        out.push_back(static_cast<float>(f));
    }
    return out;
}

}  // namespace

Result<ModelConfig> config_from_hf(const json::Value& root, bool has_lm_head, const std::string& origin) {
    auto fail = [&](const std::string& what) {
        return make_error("[model] " + origin + "/config.json: " + what);
    };
    // Rule: multimodal Gemma 3 configs nest the language model under text_config.
    const json::Value& cfg = root["text_config"].is_object() ? root["text_config"] : root;
    const std::string type(
        cfg["model_type"].get_string().value_or(root["model_type"].get_string().value_or("")));
    std::optional<Arch> arch;
    if (type == "llama" || type == "mistral") arch = Arch::llama;
    if (type == "qwen2") arch = Arch::qwen2;
    if (type == "qwen3") arch = Arch::qwen3;
    if (type == "gemma3_text" || type == "gemma3") arch = Arch::gemma3;
    if (!arch)
        return fail("unsupported model_type '" + type +
                    "' (supported: llama, mistral, qwen2, qwen3, gemma3_text)");
    ModelConfig c;
    c.arch = *arch;
    auto need = [&](const char* key, int64_t& out) -> Status {
        auto v = cfg[key].get_int();
        if (!v || *v <= 0) return fail(std::string("missing or non-positive '") + key + "'");
        out = *v;
        return {};
    };
    ENGINE_TRY(need("num_hidden_layers", c.n_layer));
    ENGINE_TRY(need("hidden_size", c.n_embd));
    ENGINE_TRY(need("intermediate_size", c.n_ff));
    ENGINE_TRY(need("num_attention_heads", c.n_head));
    ENGINE_TRY(need("vocab_size", c.n_vocab));
    c.n_head_kv = cfg["num_key_value_heads"].get_int().value_or(c.n_head);
    // Rule: head_dim may be null or absent, meaning hidden_size / num_attention_heads.
    c.head_dim = cfg["head_dim"].get_int().value_or(c.n_embd / c.n_head);
    if (c.n_head_kv <= 0 || c.n_head % c.n_head_kv != 0 || c.head_dim <= 0 || c.head_dim % 2 != 0)
        return fail("inconsistent attention shape (heads " + std::to_string(c.n_head) + ", kv heads " +
                    std::to_string(c.n_head_kv) + ", head_dim " + std::to_string(c.head_dim) + ")");
    c.n_ctx_train = cfg["max_position_embeddings"].get_int().value_or(0);
    c.rms_eps = static_cast<float>(cfg["rms_norm_eps"].get_double().value_or(1e-6));
    c.tied_embeddings = !has_lm_head;
    c.attn_scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(c.head_dim)));
    c.layer_sliding.assign(static_cast<size_t>(c.n_layer), false);

    // Rule: RoPE parameters live in rope_theta / rope_scaling (transformers 4.x)
    // or rope_parameters (5.x; per layer type for Gemma 3).
    const json::Value& params = cfg["rope_parameters"];
    const json::Value& global = params["full_attention"].is_object() ? params["full_attention"] : params;
    const json::Value& local = params["sliding_attention"];
    const json::Value& scaling = cfg["rope_scaling"].is_object() ? cfg["rope_scaling"] : global;
    const double default_theta = c.arch == Arch::gemma3 ? 1e6 : 10000.0;
    c.rope_theta = static_cast<float>(
        cfg["rope_theta"].get_double().value_or(global["rope_theta"].get_double().value_or(default_theta)));
    const std::string rope_type(
        scaling["rope_type"].get_string().value_or(scaling["type"].get_string().value_or("default")));
    if (rope_type == "linear") {
        c.rope_freq_scale = static_cast<float>(1.0 / scaling["factor"].get_double().value_or(1.0));
    } else if (rope_type == "llama3") {
        c.rope_freq_factors = llama3_rope_factors(scaling, c.rope_theta, c.head_dim);
    } else if (rope_type != "default") {
        return fail("unsupported rope scaling '" + rope_type + "'");
    }
    c.rope_theta_local = c.rope_theta;

    switch (c.arch) {
        case Arch::llama:
            c.qkv_bias = cfg["attention_bias"].get_bool().value_or(false);
            break;
        case Arch::qwen2:
            c.qkv_bias = true;
            break;
        case Arch::qwen3:
            c.qk_norm = true;
            c.qkv_bias = cfg["attention_bias"].get_bool().value_or(false);
            break;
        case Arch::gemma3: {
            c.qk_norm = true;
            c.post_norms = true;
            c.activation = Activation::gelu_tanh;
            c.embd_scale = std::sqrt(static_cast<float>(c.n_embd));
            // Rule: HF Gemma scales scores by query_pre_attn_scalar^-0.5.
            const double qpas = cfg["query_pre_attn_scalar"].get_double().value_or(double(c.head_dim));
            c.attn_scale = static_cast<float>(1.0 / std::sqrt(qpas));
            c.rope_theta_local = static_cast<float>(cfg["rope_local_base_freq"].get_double().value_or(
                local["rope_theta"].get_double().value_or(kGemma3LocalRopeBase)));
            c.sliding_window = cfg["sliding_window"].get_int().value_or(0);
            const json::Value& types = cfg["layer_types"];
            if (types.is_array() && static_cast<int64_t>(types.size()) == c.n_layer) {
                for (int64_t il = 0; il < c.n_layer; ++il)
                    c.layer_sliding[static_cast<size_t>(il)] =
                        types[static_cast<size_t>(il)].get_string().value_or("") == "sliding_attention";
            } else {
                const int64_t period = cfg["sliding_window_pattern"].get_int().value_or(kGemma3SlidingPeriod);
                if (period <= 0) return fail("sliding_window_pattern must be positive");
                for (int64_t il = 0; il < c.n_layer; ++il)
                    c.layer_sliding[static_cast<size_t>(il)] = (il + 1) % period != 0;
            }
            break;
        }
    }
    return c;
}

HfLayerNames hf_layer_names(Arch arch, int64_t layer) {
    const std::string p = "model.layers." + std::to_string(layer) + ".";
    HfLayerNames n;
    n.attn_norm = p + "input_layernorm.weight";
    n.wq = p + "self_attn.q_proj.weight";
    n.wk = p + "self_attn.k_proj.weight";
    n.wv = p + "self_attn.v_proj.weight";
    n.wo = p + "self_attn.o_proj.weight";
    n.bq = p + "self_attn.q_proj.bias";
    n.bk = p + "self_attn.k_proj.bias";
    n.bv = p + "self_attn.v_proj.bias";
    n.q_norm = p + "self_attn.q_norm.weight";
    n.k_norm = p + "self_attn.k_norm.weight";
    n.w_gate = p + "mlp.gate_proj.weight";
    n.w_up = p + "mlp.up_proj.weight";
    n.w_down = p + "mlp.down_proj.weight";
    if (arch == Arch::gemma3) {
        n.post_attn_norm = p + "post_attention_layernorm.weight";
        n.ffn_norm = p + "pre_feedforward_layernorm.weight";
        n.post_ffn_norm = p + "post_feedforward_layernorm.weight";
    } else {
        n.ffn_norm = p + "post_attention_layernorm.weight";
    }
    return n;
}

}  // namespace engine::conventions
