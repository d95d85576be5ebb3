#include <filesystem>

#include "engine/quant.h"
#include "model/model_builder.h"

namespace engine {

uint8_t* ModelBuilder::own(Model& m, size_t n) {
    m.owned_.push_back(std::make_unique<uint8_t[]>(n));  // value-initialized: zeros
    return m.owned_.back().get();
}

Result<TensorView> ModelBuilder::own_f32(Model& m, const TensorView& src, float offset,
                                         const std::string& name) {
    if (!quant_supported(src.type))
        return make_error("[model] tensor '" + name + "' has unsupported type " +
                          std::string(dtype_name(src.type)));
    const int64_t n = src.n_elements();
    auto* dst = reinterpret_cast<float*>(own(m, static_cast<size_t>(n) * sizeof(float)));
    for (int64_t r = 0; r < src.n_rows(); ++r)
        dequantize_row(src.type, src.row(r), dst + r * src.ne[0], src.ne[0]);
    for (int64_t i = 0; i < n; ++i) dst[i] += offset;
    TensorView v;
    v.type = DType::F32;
    v.n_dims = src.n_dims;
    v.ne = src.ne;
    v.data = reinterpret_cast<const uint8_t*>(dst);
    return v;
}

Status check_linear(const TensorView& w, int64_t in, int64_t out, const std::string& name) {
    if (w.ne[0] != in || w.ne[1] != out || w.ne[2] != 1 || w.ne[3] != 1)
        return make_error("[model] tensor '" + name + "' has shape {" + std::to_string(w.ne[0]) + ", " +
                          std::to_string(w.ne[1]) + ", " + std::to_string(w.ne[2]) + "}, expected {" +
                          std::to_string(in) + ", " + std::to_string(out) + "}");
    if (!quant_supported(w.type))
        return make_error("[model] tensor '" + name + "' has unsupported type " +
                          std::string(dtype_name(w.type)));
    return {};
}

Result<std::unique_ptr<Model>> Model::load(const std::string& path) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) return load_hf_model(path);
    return load_gguf_model(path);
}

}  // namespace engine
