// TrainingPass: the whole-sequence forward pass with saved activations (or
// only each layer's input, with recomputation), and the backward pass that
// walks the layers in reverse. The per-layer math lives in layer_forward.cpp
// (shared with inference) and layer_backward.cpp; the output head in lm_head.cpp.
#include <algorithm>
#include <cstring>
#include <string>

#include "engine/matmul.h"
#include "ops/ops.h"
#include "ops/ops_backward.h"
#include "train/training_state.h"

namespace engine {
namespace {

std::vector<float> floats(int64_t n) { return std::vector<float>(static_cast<size_t>(n), 0.0f); }

}  // namespace

size_t training_tape_bytes(const ModelConfig& c, int64_t tokens) {
    const int64_t d = c.n_embd, qd = c.q_dim(), kvd = c.kv_dim(), ff = c.n_ff;
    // xn_attn, o, x_mid, xn_ffn, f (+ o_post, f_post); q, attn (+ q_raw); v (+ k_raw); gate, up, act.
    const int64_t per_token = d * (5 + (c.post_norms ? 2 : 0)) + qd * (2 + (c.qk_norm ? 1 : 0)) +
                              kvd * (1 + (c.qk_norm ? 1 : 0)) + ff * 3;
    return static_cast<size_t>(per_token * tokens * c.n_layer) * sizeof(float);
}

bool should_recompute(const ModelConfig& config, int64_t tokens, size_t budget_bytes) {
    return training_tape_bytes(config, tokens) > budget_bytes;
}

LayerTape::LayerTape(const ModelConfig& c, int64_t T) {
    const int64_t d = c.n_embd, qd = c.q_dim(), kvd = c.kv_dim(), ff = c.n_ff;
    xn_attn = floats(T * d);
    if (c.qk_norm) {
        q_raw = floats(T * qd);
        k_raw = floats(T * kvd);
    }
    q = floats(T * qd);
    v = floats(T * kvd);
    attn = floats(T * qd);
    o = floats(T * d);
    if (c.post_norms) o_post = floats(T * d);
    x_mid = floats(T * d);
    xn_ffn = floats(T * d);
    gate = floats(T * ff);
    up = floats(T * ff);
    act = floats(T * ff);
    f = floats(T * d);
    if (c.post_norms) f_post = floats(T * d);
}

LayerActivations LayerTape::activations(const ModelConfig& c, float* k_rows) {
    LayerActivations a;
    a.xn_attn = xn_attn.data();
    a.q = q.data();
    a.k = k_rows;
    // Without QK-norm the raw projections are the normalised ones: no copy kept.
    a.q_raw = c.qk_norm ? q_raw.data() : a.q;
    a.k_raw = c.qk_norm ? k_raw.data() : a.k;
    a.v = v.data();
    a.attn = attn.data();
    a.o = o.data();
    a.o_post = c.post_norms ? o_post.data() : a.o;
    a.x_mid = x_mid.data();
    a.xn_ffn = xn_ffn.data();
    a.gate = gate.data();
    a.up = up.data();
    a.act = act.data();
    a.f = f.data();
    a.f_post = c.post_norms ? f_post.data() : a.f;
    return a;
}

BackwardBuffers::BackwardBuffers(const ModelConfig& c, int64_t T) {
    const int64_t d = c.n_embd, qd = c.q_dim(), kvd = c.kv_dim(), ff = c.n_ff;
    d_a = floats(T * d);
    d_b = floats(T * d);
    d_xn = floats(T * d);
    dq = floats(T * qd);
    dk = floats(T * kvd);
    dv = floats(T * kvd);
    dk_c = floats(T * kvd);
    dv_c = floats(T * kvd);
    d_attn = floats(T * qd);
    d_gate = floats(T * ff);
    d_up = floats(T * ff);
    d_act = floats(T * ff);
}

LayerStep TrainingPass::State::step(int64_t il, ThreadPool& pool, LayerTape* tape) {
    (void)tape;
    const ModelConfig& c = model->config();
    LayerStep st;
    st.config = &c;
    st.weights = &model->weights().layers[static_cast<size_t>(il)];
    st.layer = il;
    st.lora.adapter = fwd.adapter;
    st.lora.scratch = &lora;
    st.lora.dropout = fwd.adapter ? fwd.lora_dropout : 0.0f;
    st.lora.seed = fwd.dropout_seed;
    st.lora.token0 = 0;
    st.k_cache = cache->k(il);
    st.v_cache = cache->v(il);
    st.capacity = cache->capacity();
    st.rope = c.is_sliding(il) ? rope_local.data() : rope_global.data();
    st.attention_scratch = attention.data();
    st.pool = &pool;
    return st;
}

Result<std::unique_ptr<TrainingPass>> TrainingPass::create(const Model& model, int64_t max_tokens,
                                                           TrainingPassOptions options) {
    const ModelConfig& c = model.config();
    if (max_tokens < 2)
        return make_error("[train] max_tokens must be at least 2, got " + std::to_string(max_tokens));
    if (options.logits_chunk < 1) return make_error("[train] logits_chunk must be at least 1");
    auto cache = KvCache::create(c, max_tokens, 1);
    if (!cache) return cache.error();
    auto s = std::make_unique<State>();
    s->model = &model;
    s->options = options;
    s->max_tokens = max_tokens;
    s->cache = std::move(*cache);
    s->xs = floats((c.n_layer + 1) * max_tokens * c.n_embd);
    s->k_rows = floats(max_tokens * c.kv_dim());
    s->rope_global = floats(max_tokens * c.head_dim);
    s->rope_local = floats(max_tokens * c.head_dim);
    const size_t n_tapes = options.recompute ? 1 : static_cast<size_t>(c.n_layer);
    s->tapes.reserve(n_tapes);
    for (size_t i = 0; i < n_tapes; ++i) s->tapes.emplace_back(c, max_tokens);
    s->grad = std::make_unique<BackwardBuffers>(c, max_tokens);
    s->logits = floats(options.logits_chunk * c.n_vocab);
    s->xn_rows = floats(options.logits_chunk * c.n_embd);
    return std::unique_ptr<TrainingPass>(new TrainingPass(std::move(s)));
}

TrainingPass::TrainingPass(std::unique_ptr<State> state) : s_(std::move(state)) {}
TrainingPass::~TrainingPass() = default;

int64_t TrainingPass::max_tokens() const { return s_->max_tokens; }

size_t TrainingPass::memory_bytes() const {
    const State& s = *s_;
    auto bytes = [](const std::vector<float>& v) { return v.size() * sizeof(float); };
    size_t total = bytes(s.xs) + bytes(s.k_rows) + bytes(s.rope_global) + bytes(s.rope_local) +
                   bytes(s.logits) + bytes(s.xn_rows) + bytes(s.attention);
    const ModelConfig& c = s.model->config();
    total += 2 * static_cast<size_t>(c.n_layer * s.max_tokens * c.kv_dim()) * sizeof(float);  // the cache
    for (const LayerTape& t : s.tapes)
        for (const auto* v : {&t.xn_attn, &t.q_raw, &t.k_raw, &t.q, &t.v, &t.attn, &t.o, &t.o_post, &t.x_mid,
                              &t.xn_ffn, &t.gate, &t.up, &t.act, &t.f, &t.f_post})
            total += bytes(*v);
    const BackwardBuffers& g = *s.grad;
    for (const auto* v : {&g.d_a, &g.d_b, &g.d_xn, &g.dq, &g.dk, &g.dv, &g.dk_c, &g.dv_c, &g.d_attn,
                          &g.d_gate, &g.d_up, &g.d_act, &g.attention, &g.g, &g.u, &g.du, &g.xd, &g.dx_lora})
        total += bytes(*v);
    return total;
}

Result<SequenceScores> TrainingPass::forward(std::span<const int32_t> tokens,
                                             std::span<const int64_t> targets, const ForwardOptions& options,
                                             ThreadPool& pool) {
    State& s = *s_;
    const Model& m = *s.model;
    const ModelConfig& c = m.config();
    s.backward_ready = false;
    const auto n = static_cast<int64_t>(tokens.size());
    if (n < 1) return make_error("[train] the sequence is empty");
    if (n > s.max_tokens)
        return make_error("[train] the sequence has " + std::to_string(n) +
                          " tokens; this pass was sized for " + std::to_string(s.max_tokens));
    for (int64_t i = 0; i < n; ++i)
        if (tokens[static_cast<size_t>(i)] < 0 || tokens[static_cast<size_t>(i)] >= c.n_vocab)
            return make_error("[train] token id " + std::to_string(tokens[static_cast<size_t>(i)]) +
                              " at index " + std::to_string(i) + " is outside the vocabulary");
    for (size_t i = 0; i < targets.size(); ++i) {
        const int64_t p = targets[i];
        if (p < 1 || p >= n || (i > 0 && p <= targets[i - 1]))
            return make_error("[train] target positions must ascend strictly within [1, " +
                              std::to_string(n) + "); got " + std::to_string(p) + " at index " +
                              std::to_string(i));
    }
    if (options.lora_dropout < 0.0f || options.lora_dropout >= 1.0f)
        return make_error("[train] lora_dropout must be in [0, 1)");
    if (options.adapter) {
        if (options.adapter->n_layer() != c.n_layer)
            return make_error("[train] the adapter does not fit this model (layer count)");
        bool fits = true;
        options.adapter->for_each([&](int64_t, LoraTarget t, const LoraPair& p) {
            fits = fits && p.in == lora_target_in(c, t) && p.out == lora_target_out(c, t);
        });
        if (!fits) return make_error("[train] the adapter's shapes do not fit this model");
        s.lora.ensure(*options.adapter, n, options.lora_dropout > 0.0f);
    }
    s.tokens.assign(tokens.begin(), tokens.end());
    s.targets.assign(targets.begin(), targets.end());
    s.fwd = options;

    // Embeddings and rotary tables, as Model::forward computes them.
    const int64_t d = c.n_embd, hd = c.head_dim;
    float* x0 = s.x_at(0);
    get_rows(m.weights().token_embd, tokens.data(), n, x0);
    if (c.embd_scale != 1.0f) ops::scale(x0, c.embd_scale, n * d);
    const float* factors = c.rope_freq_factors.empty() ? nullptr : c.rope_freq_factors.data();
    for (int64_t t = 0; t < n; ++t) {
        ops::rope_angles(t, hd, c.rope_theta, c.rope_freq_scale, factors,
                         &s.rope_global[static_cast<size_t>(t * hd)]);
        if (c.sliding_window > 0)
            ops::rope_angles(t, hd, c.rope_theta_local, 1.0f, nullptr,
                             &s.rope_local[static_cast<size_t>(t * hd)]);
    }
    const auto need = static_cast<size_t>(ops::attention_scratch_floats(s.max_tokens, pool.size()));
    if (s.attention.size() < need) s.attention.resize(need);

    s.cache->set_size(0);
    for (int64_t il = 0; il < c.n_layer; ++il) {
        float* x = s.x_at(il + 1);
        std::memcpy(x, s.x_at(il), static_cast<size_t>(n * d) * sizeof(float));
        LayerTape& tape = s.tapes[s.options.recompute ? 0 : static_cast<size_t>(il)];
        forward_layer(s.step(il, pool, &tape), x, tape.activations(c, s.k_rows.data()), n, 0);
    }
    s.cache->set_size(n);

    SequenceScores out;
    score_targets(s, pool, out);
    s.backward_ready = options.for_backward;
    return out;
}

Status TrainingPass::backward(std::span<const double> dloss_dlogprob, LoraAdapter& grads, ThreadPool& pool) {
    State& s = *s_;
    if (!s.backward_ready)
        return make_error("[train] backward() needs a preceding forward() with for_backward = true");
    if (dloss_dlogprob.size() != s.targets.size())
        return make_error("[train] " + std::to_string(dloss_dlogprob.size()) + " loss gradients for " +
                          std::to_string(s.targets.size()) + " targets");
    const ModelConfig& c = s.model->config();
    if (s.fwd.adapter) {
        bool same = grads.n_layer() == s.fwd.adapter->n_layer();
        s.fwd.adapter->for_each([&](int64_t il, LoraTarget t, const LoraPair& p) {
            const LoraPair* g = grads.find(il, t);
            same = same && g && g->rank == p.rank && g->in == p.in && g->out == p.out;
        });
        if (!same) return make_error("[train] the gradient buffer is not shaped like the adapter");
    }
    const int64_t n = s.n(), d = c.n_embd;
    BackwardBuffers& g = *s.grad;
    const auto need = static_cast<size_t>(ops::attention_backward_scratch_floats(
        [&] {
            ops::AttentionShape sh;
            sh.n_tokens = n;
            sh.n_head = c.n_head;
            sh.n_head_kv = c.n_head_kv;
            sh.head_dim = c.head_dim;
            sh.capacity = s.max_tokens;
            return sh;
        }(),
        pool.size()));
    if (g.attention.size() < need) g.attention.resize(need);
    if (s.fwd.adapter) {
        int64_t max_rank = 0, max_out = 0, max_in = 0;
        s.fwd.adapter->for_each([&](int64_t, LoraTarget, const LoraPair& p) {
            max_rank = std::max(max_rank, p.rank);
            max_out = std::max(max_out, p.out);
            max_in = std::max(max_in, p.in);
        });
        auto grow = [](std::vector<float>& v, int64_t size) {
            if (v.size() < static_cast<size_t>(size)) v.resize(static_cast<size_t>(size));
        };
        grow(g.g, n * max_out);
        grow(g.u, n * max_rank);
        grow(g.du, n * max_rank);
        grow(g.xd, n * max_in);
        grow(g.dx_lora, n * max_in);
    }

    // dx: the gradient of the residual stream, from the output head down.
    std::vector<float>& dx = g.d_b;
    std::fill(dx.begin(), dx.begin() + n * d, 0.0f);
    backward_lm_head(s, dloss_dlogprob, dx.data(), pool);
    for (int64_t il = c.n_layer - 1; il >= 0; --il) {
        LayerTape& tape = s.tapes[s.options.recompute ? 0 : static_cast<size_t>(il)];
        if (s.options.recompute) {
            // Re-run the layer from its saved input; the cache gets the same keys/values again.
            std::vector<float>& x = g.d_a;
            std::memcpy(x.data(), s.x_at(il), static_cast<size_t>(n * d) * sizeof(float));
            forward_layer(s.step(il, pool, &tape), x.data(), tape.activations(c, s.k_rows.data()), n, 0);
        }
        backward_layer(s, il, tape, dx.data(), grads, pool);
    }
    s.backward_ready = false;  // the gradients of this forward were taken
    return {};
}

}  // namespace engine
