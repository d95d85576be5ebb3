// Hugging Face folder -> Model. Linear weights (F32/F16/BF16) are used in place
// from the safetensors maps: HF already is the canonical layout, so the only
// conversion is the norm offset from conventions (Gemma: +1).
#include <filesystem>

#include "model/conventions.h"
#include "model/model_builder.h"

namespace engine {
namespace {

class HfLoader {
public:
    HfLoader(Model& model, const HfFolder& folder) : model_(model), folder_(folder) {}

    const SafetensorsTensor* find(const std::string& name) const { return folder_.weights.find(name); }

    Result<TensorView> linear(const std::string& name, int64_t in, int64_t out) const {
        const SafetensorsTensor* t = find(name);
        if (!t) return make_error("[model] " + folder_.path + ": missing tensor '" + name + "'");
        ENGINE_TRY(check_linear(t->view, in, out, name));
        return t->view;
    }

    Result<TensorView> vector(const std::string& name, int64_t n, bool required, float offset) {
        const SafetensorsTensor* t = find(name);
        if (!t) {
            if (required) return make_error("[model] " + folder_.path + ": missing tensor '" + name + "'");
            return TensorView{};
        }
        if (t->view.n_elements() != n)
            return make_error("[model] tensor '" + name + "' has " + std::to_string(t->view.n_elements()) +
                              " elements, expected " + std::to_string(n));
        return ModelBuilder::own_f32(model_, t->view, offset, name);
    }

private:
    Model& model_;
    const HfFolder& folder_;
};

#define ASSIGN_OR_RETURN(lhs, expr)             \
    do {                                        \
        auto r_ = (expr);                       \
        if (!r_.ok()) return Error{r_.error()}; \
        lhs = *r_;                              \
    } while (0)

}  // namespace

Result<std::unique_ptr<Model>> load_hf_model(const std::string& path) {
    HfFolderOptions options;
    options.require_tokenizer = false;  // the model needs only config.json and weights
    auto folder = open_hf_folder(path, options);
    if (!folder.ok()) return Error{folder.error()};
    auto model = std::make_unique<Model>();
    ModelBuilder::hf(*model) = std::make_unique<HfFolder>(std::move(*folder));
    const HfFolder& f = *ModelBuilder::hf(*model);
    auto config =
        conventions::config_from_hf(f.config, f.weights.find(conventions::kHfOutput) != nullptr, path);
    if (!config.ok()) return Error{config.error()};
    ModelBuilder::config(*model) = std::move(*config);
    const ModelConfig& c = ModelBuilder::config(*model);
    ModelWeights& w = ModelBuilder::weights(*model);
    HfLoader ld(*model, f);
    const float norm_offset = conventions::hf_norm_weight_offset(c.arch);

    ASSIGN_OR_RETURN(w.token_embd, ld.linear(conventions::kHfEmbedding, c.n_embd, c.n_vocab));
    ASSIGN_OR_RETURN(w.output_norm, ld.vector(conventions::kHfOutputNorm, c.n_embd, true, norm_offset));
    if (c.tied_embeddings)
        w.output = w.token_embd;
    else
        ASSIGN_OR_RETURN(w.output, ld.linear(conventions::kHfOutput, c.n_embd, c.n_vocab));
    w.layers.resize(static_cast<size_t>(c.n_layer));
    for (int64_t il = 0; il < c.n_layer; ++il) {
        LayerWeights& L = w.layers[static_cast<size_t>(il)];
        const conventions::HfLayerNames n = conventions::hf_layer_names(c.arch, il);
        ASSIGN_OR_RETURN(L.attn_norm, ld.vector(n.attn_norm, c.n_embd, true, norm_offset));
        ASSIGN_OR_RETURN(L.wq, ld.linear(n.wq, c.n_embd, c.q_dim()));
        ASSIGN_OR_RETURN(L.wk, ld.linear(n.wk, c.n_embd, c.kv_dim()));
        ASSIGN_OR_RETURN(L.wv, ld.linear(n.wv, c.n_embd, c.kv_dim()));
        ASSIGN_OR_RETURN(L.wo, ld.linear(n.wo, c.q_dim(), c.n_embd));
        // Biases are plain vectors: no norm offset.
        ASSIGN_OR_RETURN(L.bq, ld.vector(n.bq, c.q_dim(), c.qkv_bias, 0.0f));
        ASSIGN_OR_RETURN(L.bk, ld.vector(n.bk, c.kv_dim(), c.qkv_bias, 0.0f));
        ASSIGN_OR_RETURN(L.bv, ld.vector(n.bv, c.kv_dim(), c.qkv_bias, 0.0f));
        if (c.qk_norm) {
            ASSIGN_OR_RETURN(L.q_norm, ld.vector(n.q_norm, c.head_dim, true, norm_offset));
            ASSIGN_OR_RETURN(L.k_norm, ld.vector(n.k_norm, c.head_dim, true, norm_offset));
        }
        ASSIGN_OR_RETURN(L.ffn_norm, ld.vector(n.ffn_norm, c.n_embd, true, norm_offset));
        ASSIGN_OR_RETURN(L.w_gate, ld.linear(n.w_gate, c.n_embd, c.n_ff));
        ASSIGN_OR_RETURN(L.w_up, ld.linear(n.w_up, c.n_embd, c.n_ff));
        ASSIGN_OR_RETURN(L.w_down, ld.linear(n.w_down, c.n_ff, c.n_embd));
        if (c.post_norms) {
            ASSIGN_OR_RETURN(L.post_attn_norm, ld.vector(n.post_attn_norm, c.n_embd, true, norm_offset));
            ASSIGN_OR_RETURN(L.post_ffn_norm, ld.vector(n.post_ffn_norm, c.n_embd, true, norm_offset));
        }
    }

    ModelSummary& s = ModelBuilder::summary(*model);
    s.architecture = std::string(arch_name(c.arch));
    s.name = std::string(f.config["_name_or_path"].get_string().value_or(""));
    s.source = path;
    s.context_length = c.n_ctx_train;
    for (const SafetensorsTensor* t : f.weights.tensors()) {
        s.n_params += t->view.n_elements();
        ++s.tensor_types[std::string(dtype_name(t->view.type))];
    }
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(path, ec))
        if (entry.path().extension() == ".safetensors") s.file_size += entry.file_size(ec);
    return model;
}

}  // namespace engine
