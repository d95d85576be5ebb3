// Checkpoint folders. See finetune/checkpoint.h.
#include "finetune/checkpoint.h"

#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "durable_file.h"
#include "engine/json.h"
#include "engine/safetensors.h"
#include "tensor_f32.h"

namespace finetune {

namespace fs = std::filesystem;
namespace json = engine::json;
using engine::make_error;

namespace {

constexpr const char* kFormat = "crucible.checkpoint";
constexpr int64_t kVersion = 1;
constexpr const char* kState = "state.json";
constexpr const char* kOptimizer = "optimizer.safetensors";
constexpr const char* kConfig = "training_config.json";
constexpr const char* kTrainerState = "trainer_state.json";
constexpr const char* kFiles[] = {"adapter_config.json", "adapter_model.safetensors", kOptimizer, kConfig,
                                  kTrainerState};

std::string hex(uint64_t x, int digits) {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%0*" PRIx64, digits, x);
    return buf;
}

std::optional<uint64_t> parse_hex(std::string_view s) {
    if (s.empty() || s.size() > 16) return std::nullopt;
    uint64_t x = 0;
    for (char c : s) {
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0) return std::nullopt;
        x = x << 4 | static_cast<uint64_t>(d);
    }
    return x;
}

engine::Status write_optimizer(const std::string& path, const AdamWState& state) {
    engine::SafetensorsWriter st;
    st.set_metadata("format", "crucible.adamw");
    st.set_metadata("step", std::to_string(state.step));
    const auto n = static_cast<int64_t>(state.m.size());
    ENGINE_TRY(st.add_tensor("exp_avg", engine::DType::F32, {n}, f32_bytes(state.m)));
    ENGINE_TRY(st.add_tensor("exp_avg_sq", engine::DType::F32, {n}, f32_bytes(state.v)));
    const std::vector<uint8_t> bytes = st.to_bytes();
    return write_file_synced(path,
                             std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

engine::Result<AdamWState> read_optimizer(const std::string& path) {
    auto file = engine::SafetensorsFile::open(path);
    if (!file.ok()) return engine::Error{file.error()};
    AdamWState state;
    const auto step = file->metadata_value("step");
    if (!step || step->empty() || step->find_first_not_of("0123456789") != std::string_view::npos ||
        step->size() > 18)
        return make_error("[checkpoint] " + path + ": metadata 'step' is missing or not a number");
    state.step = std::stoll(std::string(*step));
    const std::pair<const char*, std::vector<float>*> moments[] = {{"exp_avg", &state.m},
                                                                   {"exp_avg_sq", &state.v}};
    for (const auto& [name, values] : moments) {
        const engine::SafetensorsTensor* t = file->find(name);
        if (!t || t->view.type != engine::DType::F32 || t->shape.size() != 1)
            return make_error("[checkpoint] " + path + ": tensor '" + name +
                              "' is missing or not a 1-D F32 tensor");
        *values = to_f32(t->view);
    }
    if (state.m.size() != state.v.size())
        return make_error("[checkpoint] " + path + ": exp_avg and exp_avg_sq differ in size");
    return state;
}

engine::Status check_json(const std::string& text, const char* what) {
    auto parsed = json::parse(text);
    if (!parsed.ok())
        return make_error(std::string("[checkpoint] ") + what +
                          " is not valid JSON: " + parsed.error().message);
    return {};
}

// state.json of a checkpoint folder, parsed and checked for the format marker.
engine::Result<json::Value> read_state(const std::string& dir) {
    const std::string path = dir + "/" + kState;
    std::error_code ec;
    if (!fs::exists(path, ec))
        return make_error("[checkpoint] " + dir + ": state.json is missing (not a complete checkpoint)");
    auto state = json::parse_file(path);
    if (!state.ok()) return make_error("[checkpoint] " + path + ": " + state.error().message);
    if ((*state)["format"].get_string() != kFormat)
        return make_error("[checkpoint] " + path + ": not a crucible checkpoint (format is not '" +
                          std::string(kFormat) + "')");
    if ((*state)["version"].get_int() != kVersion)
        return make_error("[checkpoint] " + path + ": unsupported version " +
                          std::to_string((*state)["version"].as_int()));
    if (!(*state)["step"].get_int() || (*state)["step"].as_int() < 0)
        return make_error("[checkpoint] " + path + ": 'step' is missing or negative");
    return state;
}

}  // namespace

std::string checkpoint_name(int64_t step) { return "checkpoint-" + std::to_string(step); }

engine::Status write_checkpoint(const std::string& dir_in, const Checkpoint& c) {
    if (c.step < 0) return make_error("[checkpoint] negative step " + std::to_string(c.step));
    ENGINE_TRY(check_json(c.config_json, "the training configuration"));
    if (!c.trainer_state_json.empty()) ENGINE_TRY(check_json(c.trainer_state_json, "the trainer state"));
    const auto n_params = static_cast<size_t>(c.adapter.n_params());
    if (!c.optimizer.m.empty() && (c.optimizer.m.size() != n_params || c.optimizer.v.size() != n_params))
        return make_error("[checkpoint] the optimizer state holds " + std::to_string(c.optimizer.m.size()) +
                          " values for an adapter of " + std::to_string(n_params) + " parameters");

    std::string dir = fs::path(dir_in).lexically_normal().string();
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    const std::string pid = std::to_string(::getpid());
    const std::string tmp = dir + ".tmp-" + pid;
    std::error_code ec;
    fs::remove_all(tmp, ec);
    fs::create_directories(tmp, ec);
    if (ec) return make_error("[checkpoint] cannot create '" + tmp + "': " + ec.message());
    auto fail = [&](const engine::Error& e) {
        std::error_code ignored;
        fs::remove_all(tmp, ignored);
        return e;
    };
    auto attempt = [&]() -> engine::Status {
        ENGINE_TRY(export_peft(tmp, c.adapter, c.peft));
        ENGINE_TRY(write_optimizer(tmp + "/" + kOptimizer, c.optimizer));
        ENGINE_TRY(write_file_synced(tmp + "/" + kConfig, c.config_json));
        ENGINE_TRY(write_file_synced(tmp + "/" + kTrainerState, c.trainer_state_json));
        json::Object files;
        for (const char* name : kFiles) {
            auto bytes = read_file(tmp + "/" + name);
            if (!bytes.ok()) return engine::Error{bytes.error()};
            ENGINE_TRY(fsync_path(tmp + "/" + name));
            json::Object f;
            f.set("bytes", static_cast<int64_t>(bytes->size()));
            f.set("crc32", hex(crc32(reinterpret_cast<const uint8_t*>(bytes->data()), bytes->size()), 8));
            files.set(name, std::move(f));
        }
        json::Object state;
        state.set("format", kFormat);
        state.set("version", kVersion);
        state.set("step", c.step);
        json::Array rng;
        for (uint64_t w : c.rng_state) rng.emplace_back(hex(w, 16));
        state.set("rng_state", std::move(rng));
        state.set("files", std::move(files));
        json::DumpOptions o;
        o.indent = 2;
        ENGINE_TRY(write_file_synced(tmp + "/" + kState, json::dump(state, o) + "\n"));
        return fsync_path(tmp);
    };
    if (auto st = attempt(); !st.ok()) return fail(st.error());

    // Replace: an existing checkpoint moves aside first (a folder cannot be renamed over a non-empty one).
    const std::string old = dir + ".old-" + pid;
    const bool replacing = fs::exists(dir, ec);
    if (replacing) {
        fs::remove_all(old, ec);
        fs::rename(dir, old, ec);
        if (ec)
            return fail(
                make_error("[checkpoint] cannot move the previous '" + dir + "' aside: " + ec.message()));
    }
    fs::rename(tmp, dir, ec);
    if (ec)
        return fail(make_error("[checkpoint] cannot rename '" + tmp + "' to '" + dir + "': " + ec.message()));
    const fs::path parent = fs::path(dir).parent_path();
    ENGINE_TRY(fsync_path(parent.empty() ? "." : parent.string()));
    if (replacing) fs::remove_all(old, ec);
    return {};
}

engine::Result<Checkpoint> read_checkpoint(const std::string& dir, const engine::ModelConfig& model) {
    auto state = read_state(dir);
    if (!state.ok()) return engine::Error{state.error()};
    const json::Value& s = *state;
    for (const char* name : kFiles) {
        const std::string path = dir + "/" + name;
        const json::Value& info = s["files"][name];
        const auto bytes = info["bytes"].get_int();
        const auto crc = parse_hex(info["crc32"].get_string().value_or(""));
        if (!bytes || !crc)
            return make_error("[checkpoint] " + dir + "/state.json: no size and CRC for " + name);
        auto content = read_file(path);
        if (!content.ok()) return make_error("[checkpoint] " + path + " is missing or unreadable");
        if (static_cast<int64_t>(content->size()) != *bytes)
            return make_error("[checkpoint] " + path + " has " + std::to_string(content->size()) +
                              " bytes, expected " + std::to_string(*bytes) +
                              (static_cast<int64_t>(content->size()) < *bytes ? " (truncated)" : ""));
        if (crc32(reinterpret_cast<const uint8_t*>(content->data()), content->size()) != *crc)
            return make_error("[checkpoint] " + path + " is corrupt (CRC-32 mismatch)");
    }
    Checkpoint c;
    c.step = s["step"].as_int();
    for (const auto& w : s["rng_state"].as_array()) {
        auto x = parse_hex(w.get_string().value_or(""));
        if (!x) return make_error("[checkpoint] " + dir + "/state.json: rng_state holds a non-hex word");
        c.rng_state.push_back(*x);
    }
    auto peft = import_peft(dir, model);
    if (!peft.ok()) return engine::Error{peft.error()};
    c.adapter = std::move(peft->adapter);
    c.peft = std::move(peft->options);
    auto optimizer = read_optimizer(dir + "/" + kOptimizer);
    if (!optimizer.ok()) return engine::Error{optimizer.error()};
    c.optimizer = std::move(*optimizer);
    if (!c.optimizer.m.empty() && c.optimizer.m.size() != static_cast<size_t>(c.adapter.n_params()))
        return make_error("[checkpoint] " + dir + ": the optimizer state does not match the adapter's size");
    auto config = read_file(dir + "/" + kConfig);
    auto trainer = read_file(dir + "/" + kTrainerState);
    if (!config.ok()) return engine::Error{config.error()};
    if (!trainer.ok()) return engine::Error{trainer.error()};
    c.config_json = std::move(*config);
    c.trainer_state_json = std::move(*trainer);
    return c;
}

std::optional<std::string> latest_checkpoint(const std::string& run_dir) {
    std::error_code ec;
    std::optional<std::string> best;
    int64_t best_step = -1;
    for (fs::directory_iterator it(run_dir, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (name.find(".tmp-") != std::string::npos || name.find(".old-") != std::string::npos) continue;
        if (!it->is_directory(ec)) continue;
        auto state = read_state(it->path().string());
        if (!state.ok()) continue;
        const int64_t step = (*state)["step"].as_int();
        if (step > best_step || (step == best_step && best && it->path().string() > *best)) {
            best_step = step;
            best = it->path().string();
        }
    }
    return best;
}

}  // namespace finetune
