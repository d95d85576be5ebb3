// Tiny random models of each architecture, written as GGUF files the way
// llama.cpp's converter writes them (Q/K rows permuted for llama, Gemma norms
// stored as 1 + w, per-architecture metadata keys), for fast model tests.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/dtype.h"
#include "engine/model.h"
#include "engine/result.h"

namespace tiny {

struct TinySpec {
    engine::Arch arch = engine::Arch::llama;
    engine::DType type = engine::DType::F32;  // linear weights and token embeddings
    int64_t n_layer = 2;
    int64_t n_embd = 64;
    int64_t n_head = 4;
    int64_t n_head_kv = 2;
    int64_t head_dim = 16;
    int64_t n_ff = 128;
    int64_t n_vocab = 96;
    int64_t sliding_window = 0;  // gemma3
    bool tied = true;
    bool rope_freqs = false;  // Llama 3.1-style scaling: rope_freqs.weight / rope_scaling "llama3"
    uint32_t seed = 1;
    // Writes a byte-level BPE tokenizer (the 256 byte tokens, no merges, then
    // <|im_start|> and <|im_end|> = eos) and a ChatML template; n_vocab must be
    // at least 258. For generation and training tests that need text.
    bool with_tokenizer = false;
};

inline constexpr int64_t kTinyTokenizerVocab = 258;

// Defaults per architecture and weight type: K-quant types get n_embd, n_ff
// and n_head*head_dim of 256 (their block size); gemma3 gets head_dim 32,
// 6 layers (5 sliding + 1 global) and window 4; llama is untied with rope_freqs.
TinySpec default_spec(engine::Arch arch, engine::DType type);

// A weight in Hugging Face layout (rows in HF order, Gemma norms as the raw w
// of x_hat * (1 + w)), row-major with PyTorch shape {rows, cols} or {n}.
struct HfTensor {
    std::vector<int64_t> shape;
    std::vector<float> data;
};
// Keyed by GGUF tensor name ("blk.0.attn_q.weight", ...).
using HfWeights = std::map<std::string, HfTensor>;

// Random, never all-zero weights (fixed seed).
HfWeights make_weights(const TinySpec& spec);

// Writes spec + weights as a GGUF file at path.
engine::Status write_gguf(const TinySpec& spec, const HfWeights& weights, const std::string& path);

// Writes the same model as a Hugging Face folder (config.json +
// model.safetensors in `type`, which must be F32, F16 or BF16) at dir.
engine::Status write_hf_folder(const TinySpec& spec, const HfWeights& weights, engine::DType type,
                               const std::string& dir);

// A fresh path in the temp directory (removed by the caller).
std::string temp_path(const std::string& stem);

// A tiny model written to a temp GGUF file and loaded; the file is removed with it.
struct Loaded {
    TinySpec spec;
    HfWeights hf;
    std::string path;
    std::unique_ptr<engine::Model> model;
    ~Loaded();
};

// bf16_values: round every weight to a bfloat16 value first, so that files
// storing some tensors as F32 and others as BF16 hold the same numbers.
// Failures are reported through GoogleTest expectations (model left null).
std::unique_ptr<Loaded> load(const TinySpec& spec, bool bf16_values = false);

}  // namespace tiny
