// Training passes of a Model with a LoRA adapter: a forward pass over one
// whole sequence that scores chosen target tokens, and the backward pass that
// accumulates the gradient of the adapter's parameters through the frozen base
// weights (any tensor type: a quantized base trains QLoRA-style).
//
// The loss is left to the caller: forward() returns log p(target token) for
// each target position, the caller (SFT, GRPO, ...) computes dL/dlogprob, and
// backward() propagates it. The gradient of logprob with respect to the logits
// is (onehot - softmax), formed chunk by chunk so that a [tokens x vocab]
// matrix is never materialised.
//
// Consistency with sampling: the forward pass runs the same kernels in the same
// order as Model::forward, and the log-probabilities use the sampler's
// normaliser, so a token sampled by Generator gets the same logprob here, bit
// for bit (tests hold this to exact equality).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "engine/lora.h"
#include "engine/model.h"
#include "engine/result.h"
#include "engine/thread_pool.h"

namespace engine {

// Bytes the full activation tapes (recompute = false) take for `tokens` tokens.
size_t training_tape_bytes(const ModelConfig& config, int64_t tokens);

// Recompute unless the full tapes fit in `budget_bytes` (saves one forward pass per step when they do).
bool should_recompute(const ModelConfig& config, int64_t tokens, size_t budget_bytes = size_t{1} << 30);

struct TrainingPassOptions {
    // Keep only each layer's input and recompute the layer's activations during
    // backward (about 1/12 of the activation memory for one extra forward).
    bool recompute = true;
    // Target positions whose logits are materialised at once ([chunk, n_vocab] floats).
    int64_t logits_chunk = 32;
};

struct ForwardOptions {
    const LoraAdapter* adapter = nullptr;  // null = the base model (e.g. the KL reference)
    bool for_backward = true;              // keep what backward() needs
    float lora_dropout = 0.0f;             // dropout on the adapters' inputs, training only; [0, 1)
    uint64_t dropout_seed = 0;             // the mask is a hash of (seed, layer, target, token, element)
};

struct SequenceScores {
    // For target i at position p = targets[i]: log p(tokens[p] | tokens[0..p)),
    // computed as the sampler does (log-softmax of the raw logits, in double).
    std::vector<double> logprob;  // [n_targets]
    std::vector<float> entropy;   // [n_targets] entropy of that predictive distribution, nats
};

class TrainingPass {
public:
    // max_tokens: the longest sequence forward() will be given.
    static Result<std::unique_ptr<TrainingPass>> create(const Model& model, int64_t max_tokens,
                                                        TrainingPassOptions options = {});
    ~TrainingPass();
    TrainingPass(const TrainingPass&) = delete;
    TrainingPass& operator=(const TrainingPass&) = delete;

    // tokens: the whole sequence (at most max_tokens); targets: strictly
    // ascending positions in [1, tokens.size()).
    Result<SequenceScores> forward(std::span<const int32_t> tokens, std::span<const int64_t> targets,
                                   const ForwardOptions& options, ThreadPool& pool);

    // Accumulates into `grads` (shaped like the adapter given to the preceding
    // forward(), which must have had for_backward = true and must be unchanged
    // since) the gradient of L = sum_i dloss_dlogprob[i] * logprob[i].
    Status backward(std::span<const double> dloss_dlogprob, LoraAdapter& grads, ThreadPool& pool);

    int64_t max_tokens() const;
    // Bytes held for activations and the key/value store at max_tokens.
    size_t memory_bytes() const;

    struct State;  // src/train

private:
    explicit TrainingPass(std::unique_ptr<State> state);
    std::unique_ptr<State> s_;
};

}  // namespace engine
