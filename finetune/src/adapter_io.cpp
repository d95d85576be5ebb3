#include "finetune/adapter_io.h"

#include <filesystem>

#include "finetune/checkpoint.h"
#include "finetune/gguf_lora.h"

namespace finetune {

std::string_view adapter_source_name(AdapterSource source) {
    switch (source) {
        case AdapterSource::checkpoint:
            return "checkpoint";
        case AdapterSource::peft:
            return "PEFT folder";
        case AdapterSource::gguf:
            return "GGUF LoRA";
    }
    return "?";
}

engine::Result<LoadedAdapter> read_adapter(const std::string& path, const engine::ModelConfig& model) {
    namespace fs = std::filesystem;
    std::error_code ec;
    LoadedAdapter out;
    if (fs::is_directory(path, ec)) {
        if (fs::exists(path + "/state.json", ec)) {
            auto c = read_checkpoint(path, model);
            if (!c.ok()) return engine::Error{c.error()};
            out.adapter = std::move(c->adapter);
            out.options = std::move(c->peft);
            out.source = AdapterSource::checkpoint;
            return out;
        }
        if (fs::exists(path + "/adapter_config.json", ec)) {
            auto p = import_peft(path, model);
            if (!p.ok()) return engine::Error{p.error()};
            out.adapter = std::move(p->adapter);
            out.options = std::move(p->options);
            return out;
        }
        return engine::make_error(
            "[adapter] " + path +
            " is neither a checkpoint (state.json) nor a PEFT folder (adapter_config.json)");
    }
    if (!fs::exists(path, ec)) return engine::make_error("[adapter] " + path + " does not exist");
    auto g = import_gguf_lora(path, model);
    if (!g.ok()) return engine::Error{g.error()};
    out.adapter = std::move(g->adapter);
    out.source = AdapterSource::gguf;
    bool first = true;
    out.adapter.for_each([&](int64_t, engine::LoraTarget, const engine::LoraPair& p) {
        if (first) out.options.alpha = static_cast<double>(p.scale) * static_cast<double>(p.rank);
        first = false;
    });
    return out;
}

}  // namespace finetune
