// The fast CPU forward pass: all products through matmul(), attention
// threaded over (head, query) pairs, buffers from the cache's ForwardScratch.
#include <cstring>

#include "engine/kv_cache.h"
#include "engine/matmul.h"
#include "engine/model.h"
#include "model/forward_scratch.h"
#include "ops/ops.h"

namespace engine {
namespace {

const float* f32(const TensorView& t) { return reinterpret_cast<const float*>(t.data); }

// Row-parallel helper for the cheap elementwise steps: below ~16k values the
// dispatch costs more than it saves, so small (decode) inputs run inline.
template <class F>
void for_rows(ThreadPool& pool, int64_t n_rows, int64_t row_len, F&& fn) {
    if (n_rows * row_len < 16384 || pool.size() == 1 || n_rows == 1)
        fn(int64_t{0}, n_rows);
    else
        pool.parallel_for(n_rows, fn);
}

void add_bias(float* y, const TensorView& bias, int64_t n_rows, int64_t n) {
    if (!bias.data) return;
    for (int64_t r = 0; r < n_rows; ++r) ops::add(y + r * n, f32(bias), n);
}

class ForwardChunk {
public:
    ForwardChunk(const ModelConfig& c, const ModelWeights& w, KvCache& cache, ThreadPool& pool)
        : c_(c), w_(w), cache_(cache), s_(cache.scratch()), pool_(pool) {}

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
    void norm(const float* x, const TensorView& w, float* y, int64_t n_rows, int64_t n) {
        for_rows(pool_, n_rows, n, [&](int64_t r0, int64_t r1) {
            ops::rms_norm(x + r0 * n, f32(w), y + r0 * n, r1 - r0, n, c_.rms_eps);
        });
    }

    void layer(int64_t il, int64_t n, int64_t pos) {
        const LayerWeights& L = w_.layers[static_cast<size_t>(il)];
        const int64_t hd = c_.head_dim, q_dim = c_.q_dim(), kv_dim = c_.kv_dim(), d = c_.n_embd;
        float* x = s_.x.data();

        // Attention block.
        norm(x, L.attn_norm, s_.xn.data(), n, d);
        matmul(L.wq, s_.xn.data(), n, s_.q.data(), pool_);
        matmul(L.wk, s_.xn.data(), n, s_.k.data(), pool_);
        matmul(L.wv, s_.xn.data(), n, s_.v.data(), pool_);
        add_bias(s_.q.data(), L.bq, n, q_dim);
        add_bias(s_.k.data(), L.bk, n, kv_dim);
        add_bias(s_.v.data(), L.bv, n, kv_dim);
        if (c_.qk_norm) {
            norm(s_.q.data(), L.q_norm, s_.q.data(), n * c_.n_head, hd);
            norm(s_.k.data(), L.k_norm, s_.k.data(), n * c_.n_head_kv, hd);
        }
        const bool sliding = c_.is_sliding(il);
        const float* table = sliding ? s_.rope_local.data() : s_.rope_global.data();
        float* kc = cache_.k(il);
        float* vc = cache_.v(il);
        const int64_t cap = cache_.capacity();
        for (int64_t t = 0; t < n; ++t) {
            ops::rope_neox(&s_.q[t * q_dim], c_.n_head, hd, table + t * hd);
            ops::rope_neox(&s_.k[t * kv_dim], c_.n_head_kv, hd, table + t * hd);
            for (int64_t h = 0; h < c_.n_head_kv; ++h) {
                const size_t at = static_cast<size_t>((h * cap + pos + t) * hd);
                std::memcpy(kc + at, &s_.k[t * kv_dim + h * hd], static_cast<size_t>(hd) * sizeof(float));
                std::memcpy(vc + at, &s_.v[t * kv_dim + h * hd], static_cast<size_t>(hd) * sizeof(float));
            }
        }
        ops::AttentionShape shape;
        shape.n_tokens = n;
        shape.pos0 = pos;
        shape.n_head = c_.n_head;
        shape.n_head_kv = c_.n_head_kv;
        shape.head_dim = hd;
        shape.capacity = cap;
        shape.window = sliding ? c_.sliding_window : 0;
        shape.scale = c_.attn_scale;
        ops::attention(shape, s_.q.data(), kc, vc, s_.attn.data(), s_.attention.data(), pool_);
        matmul(L.wo, s_.attn.data(), n, s_.proj.data(), pool_);
        if (c_.post_norms) norm(s_.proj.data(), L.post_attn_norm, s_.proj.data(), n, d);
        ops::add(x, s_.proj.data(), n * d);

        // Feed-forward block (gated).
        norm(x, L.ffn_norm, s_.xn.data(), n, d);
        matmul(L.w_gate, s_.xn.data(), n, s_.gate.data(), pool_);
        matmul(L.w_up, s_.xn.data(), n, s_.up.data(), pool_);
        const int64_t ff = c_.n_ff;
        for_rows(pool_, n, ff, [&](int64_t r0, int64_t r1) {
            float* g = &s_.gate[r0 * ff];
            const float* u = &s_.up[r0 * ff];
            if (c_.activation == Activation::silu)
                ops::swiglu(g, u, g, (r1 - r0) * ff);
            else
                ops::geglu_tanh(g, u, g, (r1 - r0) * ff);
        });
        matmul(L.w_down, s_.gate.data(), n, s_.proj.data(), pool_);
        if (c_.post_norms) norm(s_.proj.data(), L.post_ffn_norm, s_.proj.data(), n, d);
        ops::add(x, s_.proj.data(), n * d);
    }

    const ModelConfig& c_;
    const ModelWeights& w_;
    KvCache& cache_;
    ForwardScratch& s_;
    ThreadPool& pool_;
};

}  // namespace

Status Model::forward(KvCache& cache, std::span<const int32_t> tokens, int64_t pos0, LogitsMode mode,
                      float* logits, ThreadPool& pool) const {
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

    cache.set_size(pos0);
    ForwardScratch& s = cache.scratch();
    ForwardChunk chunk(c, weights_, cache, pool);
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

}  // namespace engine
