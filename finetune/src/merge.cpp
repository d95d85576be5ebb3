// Adapter merging into a GGUF. See finetune/merge.h.
#include "finetune/merge.h"

#include <map>

#include "engine/gguf.h"
#include "engine/quant.h"
#include "qk_permute.h"

namespace finetune {

using engine::DType;
using engine::LoraPair;
using engine::LoraTarget;
using engine::make_error;

namespace {

// llama.cpp's general.file_type values (enum llama_ftype) for the output types.
uint32_t llama_file_type(DType type) {
    switch (type) {
        case DType::Q8_0:
            return 7;
        case DType::BF16:
            return 32;
        default:
            return 1;  // MOSTLY_F16
    }
}

struct Update {
    const LoraPair* pair = nullptr;
    int64_t n_heads = 0;  // > 0: rows of the file are llama-permuted Q/K rows
};

// Row `row` of the file's weight (GGUF row order) as float, plus the adapter's
// update of that row: coef * sum_r B[hf_row][r] * A[r][:], r ascending.
void merged_row(const engine::TensorView& w, int64_t row, const Update& u, float coef, float* out) {
    const int64_t cols = w.ne[0];
    engine::dequantize_row(w.type, w.row(row), out, cols);
    if (!u.pair) return;
    int64_t hf_row = row;
    if (u.n_heads > 0) {
        const int64_t d = w.ne[1] / u.n_heads, half = d / 2, h = row / d, j = row % d;
        hf_row = h * d + (j % 2) * half + j / 2;  // GGUF row h*d + 2i + s holds HF row h*d + s*half + i
    }
    const LoraPair& p = *u.pair;
    for (int64_t r = 0; r < p.rank; ++r) {
        const float b = coef * p.b[static_cast<size_t>(hf_row * p.rank + r)];
        const float* a = &p.a[static_cast<size_t>(r * cols)];
        for (int64_t c = 0; c < cols; ++c) out[c] += b * a[c];
    }
}

}  // namespace

engine::Status merge_to_gguf(const std::string& out_path, const engine::Model& model,
                             const engine::LoraAdapter& adapter, const MergeOptions& options,
                             engine::ThreadPool& pool) {
    const engine::GgufFile* src = model.gguf();
    if (!src)
        return make_error("[merge] the base model must be a GGUF file (" + model.summary().source +
                          " is not)");
    if (options.type != DType::F16 && options.type != DType::BF16 && options.type != DType::Q8_0)
        return make_error("[merge] output type " + std::string(engine::dtype_name(options.type)) +
                          " is not supported (F16, BF16 or Q8_0)");
    const engine::ModelConfig& config = model.config();
    if (adapter.n_layer() != 0 && adapter.n_layer() != config.n_layer)
        return make_error("[merge] the adapter has " + std::to_string(adapter.n_layer()) +
                          " layers, the model " + std::to_string(config.n_layer));

    // Linear weights by GGUF name, with the adapter pair that updates them.
    std::map<std::string, Update> linear;
    linear["token_embd.weight"] = {};
    linear["output.weight"] = {};
    for (int64_t l = 0; l < config.n_layer; ++l)
        for (int t = 0; t < engine::kLoraTargetCount; ++t) {
            const auto target = static_cast<LoraTarget>(t);
            Update u;
            u.pair = adapter.find(l, target);
            if (u.pair && (u.pair->in != engine::lora_target_in(config, target) ||
                           u.pair->out != engine::lora_target_out(config, target)))
                return make_error("[merge] layer " + std::to_string(l) + " " +
                                  std::string(engine::lora_target_name(target)) + " does not fit the model");
            if (!gguf_permutes_rows(config, target, &u.n_heads)) u.n_heads = 0;
            linear[gguf_weight_name(l, target)] = u;
        }

    engine::GgufWriter g(src->alignment());
    for (const auto& [key, value] : src->metadata()) {
        if (key == "general.alignment") continue;  // the writer adds it when it is not the default 32
        g.set_value(std::string(key), value);
    }
    g.set_u32("general.file_type", llama_file_type(options.type));

    for (const auto& t : src->tensors()) {
        const engine::TensorView& w = t.view;
        auto it = linear.find(std::string(t.name));
        if (it == linear.end() || w.n_dims != 2) {
            std::vector<int64_t> ne(w.ne.begin(), w.ne.begin() + w.n_dims);
            ENGINE_TRY(g.add_tensor(std::string(t.name), w.type, std::move(ne),
                                    std::vector<uint8_t>(w.data, w.data + w.n_bytes())));
            continue;
        }
        const Update& u = it->second;
        const int64_t cols = w.ne[0], rows = w.ne[1];
        const DType out_type =
            cols % engine::dtype_info(options.type).block_size == 0 ? options.type : DType::F16;
        const float coef = u.pair ? u.pair->scale * options.strength : 0.0f;
        const size_t out_row_bytes = engine::dtype_row_bytes(out_type, cols);
        std::vector<uint8_t> bytes(out_row_bytes * static_cast<size_t>(rows));
        std::vector<engine::Status> failures(static_cast<size_t>(pool.size()));
        pool.run([&](int ith, int nth) {
            std::vector<float> row(static_cast<size_t>(cols));
            for (int64_t r = rows * ith / nth; r < rows * (ith + 1) / nth; ++r) {
                merged_row(w, r, u, coef, row.data());
                auto st = engine::quantize_row(out_type, row.data(), &bytes[out_row_bytes * size_t(r)], cols);
                if (!st.ok()) {
                    failures[static_cast<size_t>(ith)] = st;
                    return;
                }
            }
        });
        for (const auto& f : failures) ENGINE_TRY(f);
        ENGINE_TRY(g.add_tensor(std::string(t.name), out_type, {cols, rows}, std::move(bytes)));
    }
    return g.write(out_path);
}

}  // namespace finetune
