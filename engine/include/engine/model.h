// Decoder-only transformer models (llama, qwen2, qwen3, gemma3): configuration,
// weights in one canonical layout, and the CPU forward pass.
//
// Canonical layout (whatever the source file): Hugging Face conventions.
// - Q and K projection rows are in HF order, so RoPE is the half-split (NEOX)
//   form for every architecture; llama-arch GGUF rows are un-permuted at load.
// - Norm weights are owned F32 vectors that multiply the normalized input
//   directly; for Gemma that is (1 + w_hf), the form GGUF files already store.
// - Linear weights keep their file type (quantized rows are used in place from
//   the memory map); W of PyTorch shape [out, in] has ne = {in, out}.
// Every format-dependent rule lives in src/model/conventions.cpp.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/gguf.h"
#include "engine/hf_folder.h"
#include "engine/result.h"
#include "engine/tensor_view.h"
#include "engine/thread_pool.h"

namespace engine {

class KvCache;
class LoraAdapter;

enum class Arch { llama, qwen2, qwen3, gemma3 };
std::string_view arch_name(Arch arch);  // the GGUF general.architecture string
std::optional<Arch> arch_from_name(std::string_view name);

enum class Activation { silu, gelu_tanh };  // gated: act(gate(x)) * up(x)

struct ModelConfig {
    Arch arch = Arch::llama;
    int64_t n_layer = 0;
    int64_t n_embd = 0;
    int64_t n_head = 0;
    int64_t n_head_kv = 0;
    int64_t head_dim = 0;
    int64_t n_ff = 0;
    int64_t n_vocab = 0;
    int64_t n_ctx_train = 0;  // context length the model was trained for
    float rms_eps = 1e-5f;
    float rope_theta = 10000.0f;        // full-attention layers
    float rope_theta_local = 10000.0f;  // sliding-window layers (gemma3)
    float rope_freq_scale = 1.0f;       // linear position scaling on full-attention layers (1 = none)
    std::vector<float>
        rope_freq_factors;            // [head_dim / 2] divisors of each frequency (Llama 3.1); empty = none
    int64_t sliding_window = 0;       // keys with pos_q - pos_k >= window are masked; 0 = no sliding
    std::vector<bool> layer_sliding;  // [n_layer] true where the layer uses the window
    bool tied_embeddings = false;     // the output head is token_embd
    float embd_scale = 1.0f;          // token embeddings are multiplied by this (gemma: sqrt(n_embd))
    bool qk_norm = false;             // per-head RMSNorm of q and k before RoPE (qwen3, gemma3)
    bool qkv_bias = false;            // q/k/v projections have biases (qwen2)
    Activation activation = Activation::silu;
    float attn_scale = 0.0f;  // multiplies q.k (usually head_dim^-0.5)
    bool post_norms = false;  // RMSNorm after attention and after the FFN, before the residual add (gemma)

    int64_t q_dim() const { return n_head * head_dim; }
    int64_t kv_dim() const { return n_head_kv * head_dim; }
    bool is_sliding(int64_t layer) const {
        return sliding_window > 0 && layer_sliding[static_cast<size_t>(layer)];
    }
};

// Norm weights and biases are F32 views of owned buffers; absent tensors have data == nullptr.
struct LayerWeights {
    TensorView attn_norm;       // [n_embd]
    TensorView wq, wk, wv, wo;  // ne {n_embd, q_dim}, {n_embd, kv_dim} x2, {q_dim, n_embd}
    TensorView bq, bk, bv;      // [q_dim], [kv_dim], [kv_dim] (qwen2)
    TensorView q_norm, k_norm;  // [head_dim] (qwen3, gemma3)
    TensorView post_attn_norm;  // [n_embd] (gemma3)
    TensorView ffn_norm;        // [n_embd]
    TensorView w_gate, w_up;    // ne {n_embd, n_ff}
    TensorView w_down;          // ne {n_ff, n_embd}
    TensorView post_ffn_norm;   // [n_embd] (gemma3)
};

struct ModelWeights {
    TensorView token_embd;   // ne {n_embd, n_vocab}
    TensorView output_norm;  // [n_embd]
    TensorView output;       // ne {n_embd, n_vocab}; equals token_embd when tied
    std::vector<LayerWeights> layers;
};

// What `crucible-cli info` prints.
struct ModelSummary {
    std::string architecture;
    std::string name;        // general.name, may be empty
    std::string source;      // path of the file or folder
    uint64_t file_size = 0;  // bytes
    int64_t n_params = 0;    // elements of all weight tensors
    int64_t context_length = 0;
    std::map<std::string, int64_t> tensor_types;  // dtype name -> number of tensors
};

enum class LogitsMode { last, all };

class Model {
public:
    // Loads a GGUF file, or a Hugging Face folder (config.json + safetensors).
    static Result<std::unique_ptr<Model>> load(const std::string& path);

    const ModelConfig& config() const { return config_; }
    const ModelWeights& weights() const { return weights_; }
    const ModelSummary& summary() const { return summary_; }
    // The source GGUF (tokenizer, chat template, metadata); null for other formats.
    const GgufFile* gguf() const { return gguf_ ? &*gguf_ : nullptr; }
    // The source Hugging Face folder (tokenizer.json, chat templates); null for GGUF.
    const HfFolder* hf_folder() const { return hf_.get(); }

    // Runs tokens at positions pos0, pos0+1, ... against the cache, which first
    // drops anything stored at pos0 or later, then holds the new keys/values.
    // logits: [n_vocab] for LogitsMode::last, [tokens.size(), n_vocab] for all.
    // Long inputs are processed in chunks of cache.max_batch() tokens.
    // adapter: optional LoRA applied unmerged (W x + scale * strength * B A x); it
    // must have been made for this model's shapes (LoraAdapter::set checks them).
    Status forward(KvCache& cache, std::span<const int32_t> tokens, int64_t pos0, LogitsMode mode,
                   float* logits, ThreadPool& pool, const LoraAdapter* adapter = nullptr) const;

    // One decode step of several sequences at once: token i is appended to
    // caches[i] at position caches[i]->size(). The weights are read once for all
    // rows, and each row's numbers are bit for bit those of a forward() of that
    // token alone on its cache. logits: [tokens.size(), n_vocab]. The caches must
    // share one capacity, and caches[0]->max_batch() >= tokens.size() (its scratch is used).
    Status forward_batch(std::span<KvCache* const> caches, std::span<const int32_t> tokens, float* logits,
                         ThreadPool& pool, const LoraAdapter* adapter = nullptr) const;

private:
    friend struct ModelBuilder;  // src/model: fills a model from a source file
    ModelConfig config_;
    ModelWeights weights_;
    ModelSummary summary_;
    std::optional<GgufFile> gguf_;
    std::unique_ptr<HfFolder> hf_;                   // keeps the safetensors maps alive
    std::vector<std::unique_ptr<uint8_t[]>> owned_;  // converted tensors; addresses stay stable
};

}  // namespace engine
