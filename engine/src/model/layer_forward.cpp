#include "model/layer_forward.h"

#include <algorithm>
#include <cstring>

#include "engine/matmul.h"
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

void norm(ThreadPool& pool, const float* x, const TensorView& w, float* y, int64_t n_rows, int64_t n,
          float eps) {
    for_rows(pool, n_rows, n,
             [&](int64_t r0, int64_t r1) { ops::rms_norm(x + r0 * n, f32(w), y + r0 * n, r1 - r0, n, eps); });
}

uint64_t mix64(uint64_t z) {
    z += 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

}  // namespace

void LoraScratch::ensure(const LoraAdapter& adapter, int64_t n, bool dropout) {
    int64_t max_rank = 0, max_out = 0, max_in = 0;
    adapter.for_each([&](int64_t, LoraTarget, const LoraPair& p) {
        max_rank = std::max(max_rank, p.rank);
        max_out = std::max(max_out, p.out);
        max_in = std::max(max_in, p.in);
    });
    auto grow = [](std::vector<float>& v, int64_t size) {
        if (v.size() < static_cast<size_t>(size)) v.resize(static_cast<size_t>(size));
    };
    grow(u, n * max_rank);
    grow(tmp, n * max_out);
    if (dropout) grow(xd, n * max_in);
}

bool lora_dropout_keep(uint64_t seed, int64_t layer, LoraTarget target, int64_t token, int64_t i, float p) {
    uint64_t h = mix64(seed ^ mix64(static_cast<uint64_t>(layer) * 8 + static_cast<uint64_t>(target)));
    h = mix64(h ^ static_cast<uint64_t>(token));
    h = mix64(h ^ static_cast<uint64_t>(i));
    // Top 24 bits as a uniform in [0, 1).
    const float r = static_cast<float>(h >> 40) * (1.0f / 16777216.0f);
    return r >= p;
}

void linear_forward(const TensorView& w, const LoraPair* pair, const LoraRun& lora, int64_t layer,
                    LoraTarget target, const float* x, int64_t n, float* y, ThreadPool& pool) {
    matmul(w, x, n, y, pool);
    if (!pair || !lora.adapter) return;
    LoraScratch& s = *lora.scratch;
    const float* in = x;
    if (lora.dropout > 0.0f) {
        const float keep_scale = 1.0f / (1.0f - lora.dropout);
        for (int64_t t = 0; t < n; ++t)
            for (int64_t i = 0; i < pair->in; ++i)
                s.xd[static_cast<size_t>(t * pair->in + i)] =
                    lora_dropout_keep(lora.seed, layer, target, lora.token0 + t, i, lora.dropout)
                        ? x[t * pair->in + i] * keep_scale
                        : 0.0f;
        in = s.xd.data();
    }
    matmul(pair->a_view(), in, n, s.u.data(), pool);            // [n, rank]
    matmul(pair->b_view(), s.u.data(), n, s.tmp.data(), pool);  // [n, out]
    const float coef = pair->scale * lora.adapter->strength;
    const int64_t total = n * pair->out;
    for (int64_t i = 0; i < total; ++i) y[i] += coef * s.tmp[static_cast<size_t>(i)];
}

void forward_layer(const LayerStep& st, float* x, const LayerActivations& a, int64_t n, int64_t pos) {
    const ModelConfig& c = *st.config;
    const LayerWeights& L = *st.weights;
    ThreadPool& pool = *st.pool;
    const int64_t il = st.layer;
    const int64_t hd = c.head_dim, q_dim = c.q_dim(), kv_dim = c.kv_dim(), d = c.n_embd;
    const LoraAdapter* ad = st.lora.adapter;
    auto pair = [&](LoraTarget t) { return ad ? ad->find(il, t) : nullptr; };
    auto linear = [&](const TensorView& w, LoraTarget t, const float* in, float* out) {
        linear_forward(w, pair(t), st.lora, il, t, in, n, out, pool);
    };

    // Attention block.
    norm(pool, x, L.attn_norm, a.xn_attn, n, d, c.rms_eps);
    linear(L.wq, LoraTarget::q, a.xn_attn, a.q_raw);
    linear(L.wk, LoraTarget::k, a.xn_attn, a.k_raw);
    linear(L.wv, LoraTarget::v, a.xn_attn, a.v);
    add_bias(a.q_raw, L.bq, n, q_dim);
    add_bias(a.k_raw, L.bk, n, kv_dim);
    add_bias(a.v, L.bv, n, kv_dim);
    if (c.qk_norm) {
        norm(pool, a.q_raw, L.q_norm, a.q, n * c.n_head, hd, c.rms_eps);
        norm(pool, a.k_raw, L.k_norm, a.k, n * c.n_head_kv, hd, c.rms_eps);
    } else {
        if (a.q != a.q_raw) std::memcpy(a.q, a.q_raw, static_cast<size_t>(n * q_dim) * sizeof(float));
        if (a.k != a.k_raw) std::memcpy(a.k, a.k_raw, static_cast<size_t>(n * kv_dim) * sizeof(float));
    }
    const bool sliding = c.is_sliding(il);
    const int64_t cap = st.capacity;
    for (int64_t t = 0; t < n; ++t) {
        ops::rope_neox(&a.q[t * q_dim], c.n_head, hd, st.rope + t * hd);
        ops::rope_neox(&a.k[t * kv_dim], c.n_head_kv, hd, st.rope + t * hd);
        float* kc = st.pos_rows ? st.k_rows[t] : st.k_cache;
        float* vc = st.pos_rows ? st.v_rows[t] : st.v_cache;
        const int64_t p = st.pos_rows ? st.pos_rows[t] : pos + t;
        for (int64_t h = 0; h < c.n_head_kv; ++h) {
            const size_t at = static_cast<size_t>((h * cap + p) * hd);
            std::memcpy(kc + at, &a.k[t * kv_dim + h * hd], static_cast<size_t>(hd) * sizeof(float));
            std::memcpy(vc + at, &a.v[t * kv_dim + h * hd], static_cast<size_t>(hd) * sizeof(float));
        }
    }
    ops::AttentionShape shape;
    shape.n_tokens = n;
    shape.pos0 = pos;
    shape.n_head = c.n_head;
    shape.n_head_kv = c.n_head_kv;
    shape.head_dim = hd;
    shape.capacity = cap;
    shape.window = sliding ? c.sliding_window : 0;
    shape.scale = c.attn_scale;
    if (st.pos_rows) {
        // Each row is a one-token step of its own sequence: exactly what a single-sequence decode computes.
        shape.n_tokens = 1;
        for (int64_t t = 0; t < n; ++t) {
            shape.pos0 = st.pos_rows[t];
            ops::attention(shape, a.q + t * q_dim, st.k_rows[t], st.v_rows[t], a.attn + t * q_dim,
                           st.attention_scratch, pool);
        }
    } else {
        ops::attention(shape, a.q, st.k_cache, st.v_cache, a.attn, st.attention_scratch, pool);
    }
    linear(L.wo, LoraTarget::o, a.attn, a.o);
    if (c.post_norms) norm(pool, a.o, L.post_attn_norm, a.o_post, n, d, c.rms_eps);
    ops::add(x, c.post_norms ? a.o_post : a.o, n * d);
    if (a.x_mid) std::memcpy(a.x_mid, x, static_cast<size_t>(n * d) * sizeof(float));

    // Feed-forward block (gated).
    norm(pool, x, L.ffn_norm, a.xn_ffn, n, d, c.rms_eps);
    linear(L.w_gate, LoraTarget::gate, a.xn_ffn, a.gate);
    linear(L.w_up, LoraTarget::up, a.xn_ffn, a.up);
    const int64_t ff = c.n_ff;
    for_rows(pool, n, ff, [&](int64_t r0, int64_t r1) {
        const float* g = &a.gate[r0 * ff];
        const float* u = &a.up[r0 * ff];
        float* out = &a.act[r0 * ff];
        if (c.activation == Activation::silu)
            ops::swiglu(g, u, out, (r1 - r0) * ff);
        else
            ops::geglu_tanh(g, u, out, (r1 - r0) * ff);
    });
    linear(L.w_down, LoraTarget::down, a.act, a.f);
    if (c.post_norms) norm(pool, a.f, L.post_ffn_norm, a.f_post, n, d, c.rms_eps);
    ops::add(x, c.post_norms ? a.f_post : a.f, n * d);
}

}  // namespace engine
