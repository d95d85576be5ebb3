// Opening Hugging Face model folders: configs, tokenizer, chat templates, weights.
#include "engine/hf_folder.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace engine {
namespace {

namespace fs = std::filesystem;

bool is_file(const fs::path& p) {
    std::error_code ec;
    return fs::is_regular_file(p, ec);
}

Result<std::string> read_text(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    if (!f) return make_error("cannot open '" + p.string() + "'");
    std::ostringstream s;
    s << f.rdbuf();
    return std::move(s).str();
}

// Parses `name` in the folder. Absent: null (or an error when required).
Result<json::Value> load_json(const fs::path& folder, const std::string& where, const char* name,
                              bool required, const char* why_required) {
    fs::path p = folder / name;
    if (!is_file(p)) {
        if (required) return make_error(where + "no " + name + " (" + why_required + ")");
        return json::Value();
    }
    auto v = json::parse_file(p.string());
    if (!v) return make_error(where + name + " is not valid JSON: " + v.error().message);
    if (!v->is_object())
        return make_error(where + name + " is a JSON " + std::string(json::type_name(v->type())) +
                          ", expected an object");
    return v;
}

void add_template(std::vector<HfChatTemplate>& out, std::string name, std::string source) {
    for (auto& t : out)
        if (t.name == name) {
            t.source = std::move(source);
            return;
        }
    out.push_back(HfChatTemplate{std::move(name), std::move(source)});
}

// tokenizer_config.json "chat_template": a string, or [{"name": ..., "template": ...}, ...].
Status read_config_templates(const json::Value& tokenizer_config, const std::string& where,
                             std::vector<HfChatTemplate>& out) {
    const json::Value* t = tokenizer_config.find("chat_template");
    if (!t || t->is_null()) return {};
    if (t->is_string()) {
        add_template(out, "default", t->as_string());
        return {};
    }
    if (!t->is_array())
        return make_error(where + "tokenizer_config.json chat_template is a " +
                          std::string(json::type_name(t->type())) + ", expected a string or a list");
    for (size_t i = 0; i < t->size(); ++i) {
        const json::Value& entry = (*t)[i];
        if (!entry["name"].is_string() || !entry["template"].is_string())
            return make_error(where + "tokenizer_config.json chat_template[" + std::to_string(i) +
                              "] needs string \"name\" and \"template\" fields");
        add_template(out, entry["name"].as_string(), entry["template"].as_string());
    }
    return {};
}

}  // namespace

const HfChatTemplate* HfFolder::chat_template(std::string_view name) const {
    for (const auto& t : chat_templates)
        if (t.name == name) return &t;
    return nullptr;
}

std::string_view HfFolder::architecture() const {
    return config["architectures"][0].get_string().value_or(std::string_view());
}

std::string_view HfFolder::model_type() const {
    return config["model_type"].get_string().value_or(std::string_view());
}

Result<HfFolder> open_hf_folder(const std::string& path, const HfFolderOptions& options) {
    const std::string where = "[hf] " + path + ": ";
    std::error_code ec;
    if (!fs::is_directory(path, ec)) return make_error(where + "is not a folder");
    fs::path folder(path);
    HfFolder out;
    out.path = path;

    auto config = load_json(folder, where, "config.json", true, "not a Hugging Face model folder?");
    if (!config) return config.error();
    out.config = std::move(*config);
    auto tokenizer = load_json(folder, where, "tokenizer.json", options.require_tokenizer,
                               "the fast-tokenizer file is needed to tokenize");
    if (!tokenizer) return tokenizer.error();
    out.tokenizer = std::move(*tokenizer);
    auto tokenizer_config = load_json(folder, where, "tokenizer_config.json", false, "");
    if (!tokenizer_config) return tokenizer_config.error();
    out.tokenizer_config = std::move(*tokenizer_config);
    auto generation_config = load_json(folder, where, "generation_config.json", false, "");
    if (!generation_config) return generation_config.error();
    out.generation_config = std::move(*generation_config);

    // Templates: tokenizer_config.json first; chat_template.jinja (newer
    // transformers) takes precedence for the default, as it does there.
    ENGINE_TRY(read_config_templates(out.tokenizer_config, where, out.chat_templates));
    if (is_file(folder / "chat_template.jinja")) {
        auto text = read_text(folder / "chat_template.jinja");
        if (!text) return make_error(where + text.error().message);
        add_template(out.chat_templates, "default", std::move(*text));
    }
    fs::path extra = folder / "additional_chat_templates";
    if (fs::is_directory(extra, ec)) {
        std::vector<fs::path> files;
        for (const auto& entry : fs::directory_iterator(extra, ec))
            if (entry.path().extension() == ".jinja" && is_file(entry.path())) files.push_back(entry.path());
        std::sort(files.begin(), files.end());  // directory order is unspecified
        for (const auto& f : files) {
            auto text = read_text(f);
            if (!text) return make_error(where + text.error().message);
            add_template(out.chat_templates, f.stem().string(), std::move(*text));
        }
    }
    std::stable_partition(out.chat_templates.begin(), out.chat_templates.end(),
                          [](const HfChatTemplate& t) { return t.name == "default"; });

    if (!options.load_weights) return out;
    fs::path index = folder / "model.safetensors.index.json";
    fs::path single = folder / "model.safetensors";
    fs::path weights_path;
    if (is_file(index))
        weights_path = index;
    else if (is_file(single))
        weights_path = single;
    if (weights_path.empty()) {
        if (is_file(folder / "pytorch_model.bin") || is_file(folder / "pytorch_model.bin.index.json"))
            return make_error(where +
                              "has only PyTorch .bin weights (pytorch_model.bin); convert them to "
                              "safetensors first");
        return make_error(where + "no model.safetensors or model.safetensors.index.json");
    }
    auto weights = SafetensorsCheckpoint::open(weights_path.string());
    if (!weights) return weights.error();
    out.weights = std::move(*weights);
    return out;
}

}  // namespace engine
