// Sharded safetensors checkpoints (model.safetensors.index.json) and single files.
#include <filesystem>

#include "engine/safetensors.h"

namespace engine {
namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Shard names come from an untrusted index: plain file names only, so an index
// cannot point the loader at files outside its folder.
bool safe_shard_name(std::string_view name) {
    return !name.empty() && name != "." && name != ".." && name.find('/') == std::string_view::npos &&
           name.find('\\') == std::string_view::npos && name.find('\0') == std::string_view::npos;
}

}  // namespace

Result<SafetensorsCheckpoint> SafetensorsCheckpoint::open(const std::string& path) {
    SafetensorsCheckpoint ckpt;
    if (!ends_with(path, ".json")) {
        auto file = SafetensorsFile::open(path);
        if (!file) return file.error();
        ckpt.shards_.push_back(std::move(*file));
        const auto& tensors = ckpt.shards_[0].tensors();
        for (size_t i = 0; i < tensors.size(); ++i)
            ckpt.by_name_.emplace(tensors[i].name, std::make_pair(0, i));
        return ckpt;
    }

    const std::string where = "[safetensors] " + path + ": ";
    auto index = json::parse_file(path);
    if (!index) return make_error("[safetensors] cannot read shard index: " + index.error().message);
    const json::Value* weight_map = index->find("weight_map");
    if (!weight_map || !weight_map->is_object())
        return make_error(where + "index has no \"weight_map\" object");
    if (weight_map->size() == 0) return make_error(where + "index \"weight_map\" is empty");
    if (const json::Value* meta = index->find("metadata")) ckpt.index_metadata_ = *meta;

    // Shards in order of first mention.
    std::vector<std::string> shard_names;
    std::unordered_map<std::string, size_t> shard_of_name;
    for (const json::Member& m : weight_map->as_object()) {
        if (!m.value.is_string())
            return make_error(where + "weight_map entry for '" + m.key + "' is not a file name string");
        const std::string& shard = m.value.as_string();
        if (!safe_shard_name(shard))
            return make_error(where + "weight_map names shard '" + shard + "' for '" + m.key +
                              "'; only plain file names in the index's folder are allowed");
        if (shard_of_name.emplace(shard, shard_names.size()).second) shard_names.push_back(shard);
    }

    std::filesystem::path folder = std::filesystem::path(path).parent_path();
    for (const std::string& shard : shard_names) {
        auto file = SafetensorsFile::open((folder / shard).string());
        if (!file)
            return make_error(where + "shard '" + shard + "' listed in weight_map: " + file.error().message);
        ckpt.shards_.push_back(std::move(*file));
    }

    for (size_t s = 0; s < ckpt.shards_.size(); ++s) {
        const auto& tensors = ckpt.shards_[s].tensors();
        for (size_t i = 0; i < tensors.size(); ++i) {
            auto [it, fresh] = ckpt.by_name_.emplace(tensors[i].name, std::make_pair(s, i));
            if (!fresh)
                return make_error(where + "tensor '" + tensors[i].name + "' appears in both '" +
                                  shard_names[it->second.first] + "' and '" + shard_names[s] + "'");
        }
    }
    for (const json::Member& m : weight_map->as_object()) {
        auto it = ckpt.by_name_.find(m.key);
        size_t listed = shard_of_name[m.value.as_string()];
        if (it == ckpt.by_name_.end() || it->second.first != listed)
            return make_error(where + "weight_map puts tensor '" + m.key + "' in '" + m.value.as_string() +
                              "', but that file does not contain it");
    }
    return ckpt;
}

const SafetensorsTensor* SafetensorsCheckpoint::find(std::string_view name) const {
    auto it = by_name_.find(std::string(name));
    if (it == by_name_.end()) return nullptr;
    return &shards_[it->second.first].tensors()[it->second.second];
}

std::vector<const SafetensorsTensor*> SafetensorsCheckpoint::tensors() const {
    std::vector<const SafetensorsTensor*> out;
    out.reserve(by_name_.size());
    for (const auto& shard : shards_)
        for (const auto& t : shard.tensors()) out.push_back(&t);
    return out;
}

}  // namespace engine
