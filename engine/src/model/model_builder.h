// Access to Model's internals for the loaders in src/model/ (Model befriends
// ModelBuilder), plus the tensor checks every loader shares.
#pragma once

#include <memory>
#include <string>

#include "engine/model.h"

namespace engine {

struct ModelBuilder {
    static ModelConfig& config(Model& m) { return m.config_; }
    static ModelWeights& weights(Model& m) { return m.weights_; }
    static ModelSummary& summary(Model& m) { return m.summary_; }
    static std::optional<GgufFile>& gguf(Model& m) { return m.gguf_; }
    static std::unique_ptr<HfFolder>& hf(Model& m) { return m.hf_; }
    // An owned, zero-initialized buffer of n bytes that lives as long as the model.
    static uint8_t* own(Model& m, size_t n);
    // An owned F32 copy of a 1-D tensor (any supported type) plus `offset`.
    static Result<TensorView> own_f32(Model& m, const TensorView& src, float offset, const std::string& name);
};

// Checks that a linear weight has ne == {in, out} and a type we can compute with.
Status check_linear(const TensorView& w, int64_t in, int64_t out, const std::string& name);

Result<std::unique_ptr<Model>> load_gguf_model(const std::string& path);
Result<std::unique_ptr<Model>> load_hf_model(const std::string& path);

}  // namespace engine
