// GGUF -> Model: views into the mapped file for linear weights, owned copies
// where conventions.cpp says the layout must change.
#include <filesystem>

#include "model/conventions.h"
#include "model/model_builder.h"

namespace engine {
namespace {

class GgufLoader {
public:
    GgufLoader(Model& model, const GgufFile& file) : model_(model), file_(file) {}

    Result<TensorView> linear(const std::string& name, int64_t in, int64_t out) {
        const GgufTensor* t = file_.find_tensor(name);
        if (!t) return make_error("[model] " + file_.origin() + ": missing tensor '" + name + "'");
        ENGINE_TRY(check_linear(t->view, in, out, name));
        return t->view;
    }

    // Q or K projection in canonical row order (un-permuted into an owned copy when needed).
    Result<TensorView> qk_linear(const std::string& name, int64_t in, int64_t n_heads, int64_t head_dim) {
        auto w = linear(name, in, n_heads * head_dim);
        if (!w.ok() || !conventions::gguf_qk_permuted(ModelBuilder::config(model_).arch)) return w;
        uint8_t* dst = ModelBuilder::own(model_, w->n_bytes());
        conventions::unpermute_qk_rows(*w, n_heads, dst);
        TensorView v = *w;
        v.data = dst;
        return v;
    }

    // Norm weight or bias: an owned F32 vector of n values (empty view when optional and absent).
    Result<TensorView> vector(const std::string& name, int64_t n, bool required) {
        const GgufTensor* t = file_.find_tensor(name);
        if (!t) {
            if (required) return make_error("[model] " + file_.origin() + ": missing tensor '" + name + "'");
            return TensorView{};
        }
        if (t->view.n_elements() != n || t->view.ne[0] != n)
            return make_error("[model] tensor '" + name + "' has " + std::to_string(t->view.n_elements()) +
                              " elements, expected " + std::to_string(n));
        // Rule lives in conventions: GGUF norm weights are already canonical (offset 0).
        return ModelBuilder::own_f32(model_, t->view, 0.0f, name);
    }

    // Bias of a permuted Q/K projection follows its rows.
    Result<TensorView> qk_bias(const std::string& name, int64_t n_heads, int64_t head_dim, bool required) {
        auto b = vector(name, n_heads * head_dim, required);
        if (!b.ok() || !b->data || !conventions::gguf_qk_permuted(ModelBuilder::config(model_).arch))
            return b;
        auto* dst = reinterpret_cast<float*>(ModelBuilder::own(model_, b->n_bytes()));
        conventions::unpermute_qk_values(reinterpret_cast<const float*>(b->data), n_heads * head_dim, n_heads,
                                         dst);
        TensorView v = *b;
        v.data = reinterpret_cast<const uint8_t*>(dst);
        return v;
    }

private:
    Model& model_;
    const GgufFile& file_;
};

#define ASSIGN_OR_RETURN(lhs, expr)             \
    do {                                        \
        auto r_ = (expr);                       \
        if (!r_.ok()) return Error{r_.error()}; \
        lhs = *r_;                              \
    } while (0)

}  // namespace

Result<std::unique_ptr<Model>> load_gguf_model(const std::string& path) {
    auto file = GgufFile::open(path);
    if (!file.ok()) return Error{file.error()};
    auto model = std::make_unique<Model>();
    auto config = conventions::config_from_gguf(*file);
    if (!config.ok()) return Error{config.error()};
    ModelBuilder::config(*model) = std::move(*config);
    ModelBuilder::gguf(*model) = std::move(*file);
    const GgufFile& f = *ModelBuilder::gguf(*model);
    const ModelConfig& c = ModelBuilder::config(*model);
    ModelWeights& w = ModelBuilder::weights(*model);
    GgufLoader ld(*model, f);
    using conventions::gguf_layer_tensor;

    ASSIGN_OR_RETURN(w.token_embd, ld.linear("token_embd.weight", c.n_embd, c.n_vocab));
    ASSIGN_OR_RETURN(w.output_norm, ld.vector("output_norm.weight", c.n_embd, true));
    if (c.tied_embeddings)
        w.output = w.token_embd;
    else
        ASSIGN_OR_RETURN(w.output, ld.linear("output.weight", c.n_embd, c.n_vocab));

    w.layers.resize(static_cast<size_t>(c.n_layer));
    for (int64_t il = 0; il < c.n_layer; ++il) {
        LayerWeights& L = w.layers[static_cast<size_t>(il)];
        auto name = [&](const char* base, const char* suffix = "weight") {
            return gguf_layer_tensor(il, base, suffix);
        };
        ASSIGN_OR_RETURN(L.attn_norm, ld.vector(name("attn_norm"), c.n_embd, true));
        ASSIGN_OR_RETURN(L.wq, ld.qk_linear(name("attn_q"), c.n_embd, c.n_head, c.head_dim));
        ASSIGN_OR_RETURN(L.wk, ld.qk_linear(name("attn_k"), c.n_embd, c.n_head_kv, c.head_dim));
        ASSIGN_OR_RETURN(L.wv, ld.linear(name("attn_v"), c.n_embd, c.kv_dim()));
        ASSIGN_OR_RETURN(L.wo, ld.linear(name("attn_output"), c.q_dim(), c.n_embd));
        ASSIGN_OR_RETURN(L.bq, ld.qk_bias(name("attn_q", "bias"), c.n_head, c.head_dim, c.qkv_bias));
        ASSIGN_OR_RETURN(L.bk, ld.qk_bias(name("attn_k", "bias"), c.n_head_kv, c.head_dim, c.qkv_bias));
        ASSIGN_OR_RETURN(L.bv, ld.vector(name("attn_v", "bias"), c.kv_dim(), c.qkv_bias));
        if (c.qk_norm) {
            ASSIGN_OR_RETURN(L.q_norm, ld.vector(name("attn_q_norm"), c.head_dim, true));
            ASSIGN_OR_RETURN(L.k_norm, ld.vector(name("attn_k_norm"), c.head_dim, true));
        }
        ASSIGN_OR_RETURN(L.ffn_norm, ld.vector(name("ffn_norm"), c.n_embd, true));
        ASSIGN_OR_RETURN(L.w_gate, ld.linear(name("ffn_gate"), c.n_embd, c.n_ff));
        ASSIGN_OR_RETURN(L.w_up, ld.linear(name("ffn_up"), c.n_embd, c.n_ff));
        ASSIGN_OR_RETURN(L.w_down, ld.linear(name("ffn_down"), c.n_ff, c.n_embd));
        if (c.post_norms) {
            ASSIGN_OR_RETURN(L.post_attn_norm, ld.vector(name("post_attention_norm"), c.n_embd, true));
            ASSIGN_OR_RETURN(L.post_ffn_norm, ld.vector(name("post_ffw_norm"), c.n_embd, true));
        }
    }

    ModelSummary& s = ModelBuilder::summary(*model);
    s.architecture = std::string(arch_name(c.arch));
    s.name = std::string(f.get_string("general.name").value_or(""));
    s.source = path;
    std::error_code ec;
    s.file_size = std::filesystem::file_size(path, ec);
    s.context_length = c.n_ctx_train;
    for (const GgufTensor& t : f.tensors()) {
        if (t.name != "rope_freqs.weight") s.n_params += t.view.n_elements();  // a table, not a weight
        ++s.tensor_types[std::string(dtype_name(t.view.type))];
    }
    return model;
}

}  // namespace engine
