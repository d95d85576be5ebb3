// Finds added tokens (control and user-defined) written literally in the text, leftmost-longest, the way
// HF tokenizers' added-vocabulary matcher does. A byte trie keeps the scan linear in the text even for
// vocabularies with thousands of "<unusedN>" tokens.
#pragma once

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace engine {

class SpecialMatcher {
public:
    void add(std::string_view text, int32_t id, bool control);
    bool empty() const { return nodes_.size() <= 1; }

    struct Match {
        size_t pos = 0;
        size_t length = 0;  // 0: no match
        int32_t id = -1;
    };
    // The leftmost match at or after `from`, longest at that position; control tokens only when
    // `allow_control`.
    Match find(std::string_view text, size_t from, bool allow_control) const;

private:
    struct Node {
        std::vector<std::pair<uint8_t, int32_t>> children;  // (byte, node index), sorted by byte
        int32_t id = -1;
        bool control = false;
    };
    int32_t child(int32_t node, uint8_t byte) const;
    std::vector<Node> nodes_{Node{}};
    bool first_byte_[256] = {};
};

}  // namespace engine
