#include "tokenizer/special_matcher.h"

#include <algorithm>

namespace engine {

int32_t SpecialMatcher::child(int32_t node, uint8_t byte) const {
    const auto& kids = nodes_[static_cast<size_t>(node)].children;
    auto it =
        std::lower_bound(kids.begin(), kids.end(), byte,
                         [](const std::pair<uint8_t, int32_t>& kid, uint8_t b) { return kid.first < b; });
    return (it != kids.end() && it->first == byte) ? it->second : -1;
}

void SpecialMatcher::add(std::string_view text, int32_t id, bool control) {
    if (text.empty()) return;
    first_byte_[static_cast<uint8_t>(text[0])] = true;
    int32_t node = 0;
    for (char c : text) {
        const auto byte = static_cast<uint8_t>(c);
        int32_t next = child(node, byte);
        if (next < 0) {
            next = static_cast<int32_t>(nodes_.size());
            nodes_.emplace_back();
            auto& kids = nodes_[static_cast<size_t>(node)].children;
            kids.insert(std::upper_bound(kids.begin(), kids.end(), std::make_pair(byte, int32_t{-1}),
                                         [](const auto& a, const auto& b) { return a.first < b.first; }),
                        {byte, next});
        }
        node = next;
    }
    Node& leaf = nodes_[static_cast<size_t>(node)];
    if (leaf.id < 0) {  // the first id wins for duplicate texts, as in find_token
        leaf.id = id;
        leaf.control = control;
    }
}

SpecialMatcher::Match SpecialMatcher::find(std::string_view text, size_t from, bool allow_control) const {
    for (size_t pos = from; pos < text.size(); ++pos) {
        if (!first_byte_[static_cast<uint8_t>(text[pos])]) continue;
        Match best;
        int32_t node = 0;
        for (size_t i = pos; i < text.size(); ++i) {
            node = child(node, static_cast<uint8_t>(text[i]));
            if (node < 0) break;
            const Node& n = nodes_[static_cast<size_t>(node)];
            if (n.id >= 0 && (allow_control || !n.control)) best = {pos, i + 1 - pos, n.id};
        }
        if (best.length > 0) return best;
    }
    return {};
}

}  // namespace engine
