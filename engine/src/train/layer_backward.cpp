// One layer's backward pass: the forward of layer_forward.cpp in reverse,
// through the frozen weights (dx = dy W) and the adapters (dA, dB, and their
// share of dx). Norm weights, biases and base weights get no gradient.
#include <algorithm>
#include <cstring>

#include "engine/matmul.h"
#include "ops/ops.h"
#include "ops/ops_backward.h"
#include "train/training_state.h"

namespace engine {
namespace {

const float* f32(const TensorView& t) { return reinterpret_cast<const float*>(t.data); }

void zero(std::vector<float>& v, int64_t n) { std::fill(v.begin(), v.begin() + n, 0.0f); }

struct Ctx {
    TrainingPass::State& s;
    const ModelConfig& c;
    BackwardBuffers& g;
    LoraAdapter& grads;
    ThreadPool& pool;
    int64_t il;
    int64_t n;
};

// Backward of y = W x (+ coef * B A dropout(x)): dx += dy W (+ the adapter's
// part), and the adapter's dA, dB accumulate into grads.
void linear_backward(Ctx& k, const TensorView& w, LoraTarget target, const float* x, const float* dy,
                     float* dx) {
    const int64_t n = k.n;
    matmul_backward_input(w, dy, n, dx, k.pool);
    const LoraAdapter* adapter = k.s.fwd.adapter;
    const LoraPair* p = adapter ? adapter->find(k.il, target) : nullptr;
    if (!p) return;
    LoraPair& gp = *k.grads.find(k.il, target);
    BackwardBuffers& g = k.g;
    const float dropout = k.s.fwd.lora_dropout;
    const float* xin = x;
    if (dropout > 0.0f) {
        const float keep_scale = 1.0f / (1.0f - dropout);
        for (int64_t t = 0; t < n; ++t)
            for (int64_t i = 0; i < p->in; ++i)
                g.xd[static_cast<size_t>(t * p->in + i)] =
                    lora_dropout_keep(k.s.fwd.dropout_seed, k.il, target, t, i, dropout)
                        ? x[t * p->in + i] * keep_scale
                        : 0.0f;
        xin = g.xd.data();
    }
    const float coef = p->scale * adapter->strength;
    for (int64_t i = 0; i < n * p->out; ++i) g.g[static_cast<size_t>(i)] = coef * dy[i];  // [n, out]
    matmul(p->a_view(), xin, n, g.u.data(), k.pool);                                      // u = A x [n, rank]
    matmul_accumulate_outer(g.g.data(), p->out, g.u.data(), p->rank, n, gp.b.data(), k.pool);  // dB += g^T u
    zero(g.du, n * p->rank);
    matmul_backward_input(p->b_view(), g.g.data(), n, g.du.data(), k.pool);             // du = g B
    matmul_accumulate_outer(g.du.data(), p->rank, xin, p->in, n, gp.a.data(), k.pool);  // dA += du^T x
    if (dropout > 0.0f) {
        zero(g.dx_lora, n * p->in);
        matmul_backward_input(p->a_view(), g.du.data(), n, g.dx_lora.data(), k.pool);
        const float keep_scale = 1.0f / (1.0f - dropout);
        for (int64_t t = 0; t < n; ++t)
            for (int64_t i = 0; i < p->in; ++i)
                if (lora_dropout_keep(k.s.fwd.dropout_seed, k.il, target, t, i, dropout))
                    dx[t * p->in + i] += g.dx_lora[static_cast<size_t>(t * p->in + i)] * keep_scale;
    } else {
        matmul_backward_input(p->a_view(), g.du.data(), n, dx, k.pool);  // dx += du A
    }
}

// rms_norm backward over rows, adding the input gradient into dx_accum.
void norm_backward_add(Ctx& k, const float* x, const TensorView& w, const float* dy, float* dx_accum,
                       int64_t rows, int64_t width) {
    float* tmp = k.g.d_a.data();
    ops::rms_norm_backward(x, f32(w), dy, tmp, nullptr, rows, width, k.c.rms_eps);
    ops::add(dx_accum, tmp, rows * width);
}

}  // namespace

void backward_layer(TrainingPass::State& s, int64_t il, LayerTape& tape, float* dx, LoraAdapter& grads,
                    ThreadPool& pool) {
    const ModelConfig& c = s.model->config();
    const LayerWeights& L = s.model->weights().layers[static_cast<size_t>(il)];
    BackwardBuffers& g = *s.grad;
    const int64_t n = s.n(), d = c.n_embd, hd = c.head_dim, qd = c.q_dim(), kvd = c.kv_dim(), ff = c.n_ff;
    Ctx k{s, c, g, grads, pool, il, n};

    // ---- Feed-forward block: x_out = x_mid + post_ffn_norm(w_down act(gate, up)).
    const float* d_f = dx;
    if (c.post_norms) {
        ops::rms_norm_backward(tape.f.data(), f32(L.post_ffn_norm), dx, g.d_xn.data(), nullptr, n, d,
                               c.rms_eps);
        d_f = g.d_xn.data();
    }
    zero(g.d_act, n * ff);
    linear_backward(k, L.w_down, LoraTarget::down, tape.act.data(), d_f, g.d_act.data());
    if (c.activation == Activation::silu)
        ops::swiglu_backward(tape.gate.data(), tape.up.data(), g.d_act.data(), g.d_gate.data(), g.d_up.data(),
                             n * ff);
    else
        ops::geglu_tanh_backward(tape.gate.data(), tape.up.data(), g.d_act.data(), g.d_gate.data(),
                                 g.d_up.data(), n * ff);
    zero(g.d_xn, n * d);
    linear_backward(k, L.w_gate, LoraTarget::gate, tape.xn_ffn.data(), g.d_gate.data(), g.d_xn.data());
    linear_backward(k, L.w_up, LoraTarget::up, tape.xn_ffn.data(), g.d_up.data(), g.d_xn.data());
    norm_backward_add(k, tape.x_mid.data(), L.ffn_norm, g.d_xn.data(), dx, n, d);  // dx = dL/dx_mid

    // ---- Attention block: x_mid = x_in + post_attn_norm(wo attention(rope(norm(q)), rope(norm(k)), v)).
    const float* d_o = dx;
    if (c.post_norms) {
        ops::rms_norm_backward(tape.o.data(), f32(L.post_attn_norm), dx, g.d_xn.data(), nullptr, n, d,
                               c.rms_eps);
        d_o = g.d_xn.data();
    }
    zero(g.d_attn, n * qd);
    linear_backward(k, L.wo, LoraTarget::o, tape.attn.data(), d_o, g.d_attn.data());

    ops::AttentionShape shape;
    shape.n_tokens = n;
    shape.pos0 = 0;
    shape.n_head = c.n_head;
    shape.n_head_kv = c.n_head_kv;
    shape.head_dim = hd;
    shape.capacity = s.max_tokens;
    shape.window = c.is_sliding(il) ? c.sliding_window : 0;
    shape.scale = c.attn_scale;
    ops::attention_backward(shape, tape.q.data(), s.cache->k(il), s.cache->v(il), g.d_attn.data(),
                            g.dq.data(), g.dk_c.data(), g.dv_c.data(), g.attention.data(), pool);
    // Cache layout [n_head_kv, T, head_dim] -> token rows [n, kv_dim].
    for (int64_t t = 0; t < n; ++t)
        for (int64_t h = 0; h < c.n_head_kv; ++h) {
            const size_t from = static_cast<size_t>((h * s.max_tokens + t) * hd);
            const size_t to = static_cast<size_t>(t * kvd + h * hd);
            std::memcpy(&g.dk[to], &g.dk_c[from], static_cast<size_t>(hd) * sizeof(float));
            std::memcpy(&g.dv[to], &g.dv_c[from], static_cast<size_t>(hd) * sizeof(float));
        }
    const float* rope = c.is_sliding(il) ? s.rope_local.data() : s.rope_global.data();
    for (int64_t t = 0; t < n; ++t) {
        ops::rope_neox_backward(&g.dq[static_cast<size_t>(t * qd)], c.n_head, hd, rope + t * hd);
        ops::rope_neox_backward(&g.dk[static_cast<size_t>(t * kvd)], c.n_head_kv, hd, rope + t * hd);
    }
    if (c.qk_norm) {
        ops::rms_norm_backward(tape.q_raw.data(), f32(L.q_norm), g.dq.data(), g.dq.data(), nullptr,
                               n * c.n_head, hd, c.rms_eps);
        ops::rms_norm_backward(tape.k_raw.data(), f32(L.k_norm), g.dk.data(), g.dk.data(), nullptr,
                               n * c.n_head_kv, hd, c.rms_eps);
    }
    zero(g.d_xn, n * d);
    linear_backward(k, L.wq, LoraTarget::q, tape.xn_attn.data(), g.dq.data(), g.d_xn.data());
    linear_backward(k, L.wk, LoraTarget::k, tape.xn_attn.data(), g.dk.data(), g.d_xn.data());
    linear_backward(k, L.wv, LoraTarget::v, tape.xn_attn.data(), g.dv.data(), g.d_xn.data());
    norm_backward_add(k, s.x_at(il), L.attn_norm, g.d_xn.data(), dx, n, d);  // dx = dL/dx_in
}

}  // namespace engine
