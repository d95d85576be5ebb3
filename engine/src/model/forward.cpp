// The fast CPU forward pass: all products through matmul(), attention
// threaded over (head, query) pairs, buffers from the cache's ForwardScratch.
#include <cstring>

#include "engine/kv_cache.h"
#include "engine/lora.h"
#include "engine/matmul.h"
#include "engine/model.h"
#include "model/forward_scratch.h"
#include "model/layer_forward.h"
#include "ops/ops.h"

namespace engine {
namespace {

const float* f32(const TensorView& t) { return reinterpret_cast<const float*>(t.data); }

// Inference keeps nothing for a backward pass, so activations share the scratch buffers.
LayerActivations inference_activations(ForwardScratch& s) {
    LayerActivations a;
    a.xn_attn = a.xn_ffn = s.xn.data();
    a.q_raw = a.q = s.q.data();
    a.k_raw = a.k = s.k.data();
    a.v = s.v.data();
    a.attn = s.attn.data();
    a.o = a.o_post = a.f = a.f_post = s.proj.data();
    a.gate = a.act = s.gate.data();
    a.up = s.up.data();
    return a;
}

class ForwardChunk {
public:
    ForwardChunk(const ModelConfig& c, const ModelWeights& w, KvCache& cache, const LoraAdapter* adapter,
                 ThreadPool& pool)
        : c_(c), w_(w), cache_(cache), s_(cache.scratch()), pool_(pool) {
        lora_.adapter = adapter;
        lora_.scratch = &s_.lora;
        if (adapter) s_.lora.ensure(*adapter, cache.max_batch(), false);
    }

    // Runs n tokens at positions pos .. pos+n-1 (already within capacity) and
    // leaves the final hidden states in s_.x.
    void run(const int32_t* tokens, int64_t n, int64_t pos) {
        const int64_t hd = c_.head_dim;
        get_rows(w_.token_embd, tokens, n, s_.x.data());
        if (c_.embd_scale != 1.0f) ops::scale(s_.x.data(), c_.embd_scale, n * c_.n_embd);
        const float* factors = c_.rope_freq_factors.empty() ? nullptr : c_.rope_freq_factors.data();
        for (int64_t t = 0; t < n; ++t) {
            ops::rope_angles(pos + t, hd, c_.rope_theta, c_.rope_freq_scale, factors,
                             &s_.rope_global[t * hd]);
            // Sliding layers (gemma3) use their own base, unscaled.
            if (c_.sliding_window > 0)
                ops::rope_angles(pos + t, hd, c_.rope_theta_local, 1.0f, nullptr, &s_.rope_local[t * hd]);
        }
        const int64_t n_threads = pool_.size();
        const auto need = static_cast<size_t>(
            ops::attention_scratch_floats(cache_.capacity(), static_cast<int>(n_threads)));
        if (s_.attention.size() < need) s_.attention.resize(need);  // once per larger pool, not per token
        for (int64_t il = 0; il < c_.n_layer; ++il) layer(il, n, pos);
    }

private:
    void layer(int64_t il, int64_t n, int64_t pos) {
        const LayerActivations a = inference_activations(s_);
        LayerStep step;
        step.config = &c_;
        step.weights = &w_.layers[static_cast<size_t>(il)];
        step.layer = il;
        step.lora = lora_;
        step.lora.token0 = pos;
        step.k_cache = cache_.k(il);
        step.v_cache = cache_.v(il);
        step.capacity = cache_.capacity();
        step.rope = c_.is_sliding(il) ? s_.rope_local.data() : s_.rope_global.data();
        step.attention_scratch = s_.attention.data();
        step.pool = &pool_;
        forward_layer(step, s_.x.data(), a, n, pos);
    }

    const ModelConfig& c_;
    const ModelWeights& w_;
    KvCache& cache_;
    ForwardScratch& s_;
    ThreadPool& pool_;
    LoraRun lora_;
};

Status check_adapter(const ModelConfig& c, const LoraAdapter* adapter) {
    if (!adapter) return {};
    if (adapter->n_layer() != c.n_layer)
        return make_error("[forward] the adapter has " + std::to_string(adapter->n_layer()) +
                          " layers, the model " + std::to_string(c.n_layer));
    std::string mismatch;
    adapter->for_each([&](int64_t il, LoraTarget t, const LoraPair& p) {
        if (mismatch.empty() && (p.in != lora_target_in(c, t) || p.out != lora_target_out(c, t)))
            mismatch = "layer " + std::to_string(il) + " " + std::string(lora_target_name(t));
    });
    if (!mismatch.empty())
        return make_error("[forward] the adapter's " + mismatch + " does not fit this model's shapes");
    return {};
}

}  // namespace

Status Model::forward(KvCache& cache, std::span<const int32_t> tokens, int64_t pos0, LogitsMode mode,
                      float* logits, ThreadPool& pool, const LoraAdapter* adapter) const {
    const ModelConfig& c = config_;
    const auto n_tokens = static_cast<int64_t>(tokens.size());
    if (n_tokens == 0) return make_error("[forward] no tokens");
    if (cache.n_layer() != c.n_layer || cache.n_head_kv() != c.n_head_kv || cache.head_dim() != c.head_dim)
        return make_error("[forward] the KV cache was created for another model shape");
    if (pos0 < 0 || pos0 > cache.size())
        return make_error("[forward] pos0 " + std::to_string(pos0) + " is outside [0, " +
                          std::to_string(cache.size()) + "] (the cache holds " +
                          std::to_string(cache.size()) + " positions)");
    if (pos0 + n_tokens > cache.capacity())
        return make_error("[forward] KV cache full: positions " + std::to_string(pos0) + ".." +
                          std::to_string(pos0 + n_tokens - 1) + " exceed its capacity of " +
                          std::to_string(cache.capacity()));
    for (int64_t i = 0; i < n_tokens; ++i)
        if (tokens[static_cast<size_t>(i)] < 0 || tokens[static_cast<size_t>(i)] >= c.n_vocab)
            return make_error("[forward] token id " + std::to_string(tokens[static_cast<size_t>(i)]) +
                              " at index " + std::to_string(i) + " is outside the vocabulary [0, " +
                              std::to_string(c.n_vocab) + ")");
    if (!logits) return make_error("[forward] logits buffer is null");
    ENGINE_TRY(check_adapter(c, adapter));

    cache.set_size(pos0);
    ForwardScratch& s = cache.scratch();
    ForwardChunk chunk(c, weights_, cache, adapter, pool);
    for (int64_t start = 0; start < n_tokens; start += cache.max_batch()) {
        const int64_t n = std::min(cache.max_batch(), n_tokens - start);
        chunk.run(tokens.data() + start, n, pos0 + start);
        cache.set_size(pos0 + start + n);
        if (mode == LogitsMode::all) {
            ops::rms_norm(s.x.data(), f32(weights_.output_norm), s.xn.data(), n, c.n_embd, c.rms_eps);
            matmul(weights_.output, s.xn.data(), n, logits + start * c.n_vocab, pool);
        } else if (start + n == n_tokens) {
            ops::rms_norm(&s.x[(n - 1) * c.n_embd], f32(weights_.output_norm), s.xn.data(), 1, c.n_embd,
                          c.rms_eps);
            matmul(weights_.output, s.xn.data(), 1, logits, pool);
        }
    }
    return {};
}

Status Model::forward_batch(std::span<KvCache* const> caches, std::span<const int32_t> tokens, float* logits,
                            ThreadPool& pool, const LoraAdapter* adapter) const {
    const ModelConfig& c = config_;
    const auto n = static_cast<int64_t>(tokens.size());
    if (n == 0 || caches.size() != tokens.size())
        return make_error("[forward_batch] need one token per cache (got " + std::to_string(tokens.size()) +
                          " tokens for " + std::to_string(caches.size()) + " caches)");
    if (!logits) return make_error("[forward_batch] logits buffer is null");
    KvCache& first = *caches[0];
    if (n > first.max_batch())
        return make_error("[forward_batch] " + std::to_string(n) +
                          " sequences exceed the first cache's max_batch " +
                          std::to_string(first.max_batch()));
    for (int64_t i = 0; i < n; ++i) {
        const KvCache* kc = caches[static_cast<size_t>(i)];
        if (!kc || kc->n_layer() != c.n_layer || kc->n_head_kv() != c.n_head_kv ||
            kc->head_dim() != c.head_dim)
            return make_error("[forward_batch] cache " + std::to_string(i) +
                              " was created for another model shape");
        if (kc->capacity() != first.capacity())
            return make_error("[forward_batch] the caches must share one capacity");
        if (kc->size() >= kc->capacity())
            return make_error("[forward_batch] KV cache " + std::to_string(i) + " is full");
        const int32_t id = tokens[static_cast<size_t>(i)];
        if (id < 0 || id >= c.n_vocab)
            return make_error("[forward_batch] token id " + std::to_string(id) +
                              " is outside the vocabulary");
        for (int64_t j = 0; j < i; ++j)
            if (caches[static_cast<size_t>(j)] == kc)
                return make_error("[forward_batch] cache " + std::to_string(i) + " appears twice");
    }
    ENGINE_TRY(check_adapter(c, adapter));

    ForwardScratch& s = first.scratch();
    const int64_t hd = c.head_dim, d = c.n_embd;
    get_rows(weights_.token_embd, tokens.data(), n, s.x.data());
    if (c.embd_scale != 1.0f) ops::scale(s.x.data(), c.embd_scale, n * d);
    const float* factors = c.rope_freq_factors.empty() ? nullptr : c.rope_freq_factors.data();
    for (int64_t t = 0; t < n; ++t) {
        const int64_t pos = caches[static_cast<size_t>(t)]->size();
        s.batch_pos[static_cast<size_t>(t)] = pos;
        ops::rope_angles(pos, hd, c.rope_theta, c.rope_freq_scale, factors, &s.rope_global[t * hd]);
        if (c.sliding_window > 0)
            ops::rope_angles(pos, hd, c.rope_theta_local, 1.0f, nullptr, &s.rope_local[t * hd]);
    }
    const auto need =
        static_cast<size_t>(ops::attention_scratch_floats(first.capacity(), static_cast<int>(pool.size())));
    if (s.attention.size() < need) s.attention.resize(need);
    LoraRun lora;
    lora.adapter = adapter;
    lora.scratch = &s.lora;
    if (adapter) s.lora.ensure(*adapter, first.max_batch(), false);

    const LayerActivations a = inference_activations(s);
    for (int64_t il = 0; il < c.n_layer; ++il) {
        for (int64_t t = 0; t < n; ++t) {
            s.batch_k[static_cast<size_t>(t)] = caches[static_cast<size_t>(t)]->k(il);
            s.batch_v[static_cast<size_t>(t)] = caches[static_cast<size_t>(t)]->v(il);
        }
        LayerStep step;
        step.config = &c;
        step.weights = &weights_.layers[static_cast<size_t>(il)];
        step.layer = il;
        step.lora = lora;
        step.capacity = first.capacity();
        step.rope = c.is_sliding(il) ? s.rope_local.data() : s.rope_global.data();
        step.k_rows = s.batch_k.data();
        step.v_rows = s.batch_v.data();
        step.pos_rows = s.batch_pos.data();
        step.attention_scratch = s.attention.data();
        step.pool = &pool;
        forward_layer(step, s.x.data(), a, n, 0);
    }
    for (int64_t t = 0; t < n; ++t)
        caches[static_cast<size_t>(t)]->set_size(s.batch_pos[static_cast<size_t>(t)] + 1);
    // Row by row, as forward() normalises its last row.
    for (int64_t t = 0; t < n; ++t)
        ops::rms_norm(&s.x[t * d], f32(weights_.output_norm), &s.xn[t * d], 1, d, c.rms_eps);
    matmul(weights_.output, s.xn.data(), n, logits, pool);
    return {};
}

}  // namespace engine
