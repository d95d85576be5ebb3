#include "engine/json_schema_constraint.h"

#include <algorithm>
#include <limits>

#include "constrain/matcher.h"
#include "core/utf8.h"
#include "engine/generator.h"
#include "engine/tokenizer.h"

namespace engine {

using constrain::State;

// Tokens' bytes as a trie in preorder, so a mask walks shared prefixes once.
struct JsonSchemaConstraint::TokenTrie {
    int32_t max_length = 0;            // longest token, in bytes
    std::vector<uint8_t> byte;         // [n_nodes] the byte on the edge into the node
    std::vector<uint16_t> depth;       // [n_nodes] 1 for children of the root
    std::vector<int32_t> next;         // [n_nodes] first node after the node's subtree
    std::vector<int32_t> token_first;  // [n_nodes] tokens spelling exactly this prefix...
    std::vector<int32_t> token_count;  // [n_nodes] ...are tokens[first, first + count)
    std::vector<int32_t> tokens;

    TokenTrie(std::vector<int32_t> ids, const std::vector<std::string>& bytes) {
        std::sort(ids.begin(), ids.end(), [&](int32_t a, int32_t b) {
            const auto& x = bytes[static_cast<size_t>(a)];
            const auto& y = bytes[static_cast<size_t>(b)];
            return x != y ? x < y : a < b;
        });
        std::vector<int32_t> path;  // nodes on the path of the previous token
        std::string_view previous;
        for (int32_t id : ids) {
            std::string_view s = bytes[static_cast<size_t>(id)];
            size_t common = 0;
            while (common < s.size() && common < previous.size() && s[common] == previous[common]) ++common;
            while (path.size() > common) {
                next[static_cast<size_t>(path.back())] = static_cast<int32_t>(byte.size());
                path.pop_back();
            }
            for (size_t d = common; d < s.size(); ++d) {
                path.push_back(static_cast<int32_t>(byte.size()));
                byte.push_back(static_cast<uint8_t>(s[d]));
                depth.push_back(static_cast<uint16_t>(d + 1));
                next.push_back(-1);
                token_first.push_back(0);
                token_count.push_back(0);
            }
            const auto node = static_cast<size_t>(path.back());
            if (token_count[node] == 0) token_first[node] = static_cast<int32_t>(tokens.size());
            ++token_count[node];
            tokens.push_back(id);
            max_length = std::max(max_length, static_cast<int32_t>(s.size()));
            previous = s;
        }
        for (int32_t node : path) next[static_cast<size_t>(node)] = static_cast<int32_t>(byte.size());
    }
};

namespace {

// Code points of a token made only of characters a string may hold as they are
// (no '"', '\\', control bytes; whole UTF-8 sequences); -1 for any other token.
int32_t plain_code_points(std::string_view s) {
    int32_t n = 0;
    for (size_t i = 0; i < s.size();) {
        const auto c = static_cast<uint8_t>(s[i]);
        if (c < 0x20 || c == '"' || c == '\\') return -1;
        const size_t len = utf8::valid_prefix_length(s, i);
        if (len == 0 || len != utf8::sequence_length(c)) return -1;
        i += len;
        ++n;
    }
    return n;
}

}  // namespace

struct JsonSchemaConstraint::Vocabulary {
    int32_t n_vocab = 0;
    std::vector<std::string> bytes;  // [n_vocab] a token's bytes; empty when never allowed as text
    TokenTrie all;                   // every text token
    // Inside a string most tokens are plain text: they are allowed by their
    // length alone, and only the others need the walk.
    TokenTrie not_plain;
    std::vector<int32_t> plain_by_length;  // plain tokens, by code points ascending
    std::vector<int32_t> plain_from;       // [max code points + 2] first index with at least k

    Vocabulary(int32_t n, std::vector<std::string> b, const std::vector<int32_t>& text_ids,
               const std::vector<int32_t>& not_plain_ids, std::vector<std::pair<int32_t, int32_t>> plain)
        : n_vocab(n), bytes(std::move(b)), all(text_ids, bytes), not_plain(not_plain_ids, bytes) {
        std::sort(plain.begin(), plain.end());
        const int32_t longest = plain.empty() ? 0 : plain.back().first;
        plain_from.assign(static_cast<size_t>(longest) + 2, static_cast<int32_t>(plain.size()));
        for (size_t i = plain.size(); i-- > 0;)
            plain_from[static_cast<size_t>(plain[i].first)] = static_cast<int32_t>(i);
        for (size_t k = plain_from.size() - 1; k-- > 0;)
            plain_from[k] = std::min(plain_from[k], plain_from[k + 1]);
        for (const auto& p : plain) plain_by_length.push_back(p.second);
    }

    // End tokens are left out: they never stand for text here.
    static std::shared_ptr<const Vocabulary> build(const Tokenizer& tokenizer,
                                                   const std::vector<int32_t>& end_ids) {
        const int32_t n = tokenizer.vocab_size();
        std::vector<std::string> bytes(static_cast<size_t>(n));
        std::vector<int32_t> text_ids, not_plain_ids;
        std::vector<std::pair<int32_t, int32_t>> plain;  // (code points, id)
        for (int32_t id = 0; id < n; ++id) {
            TokenType type = tokenizer.token_type(id);
            if (type == TokenType::control || type == TokenType::unknown || type == TokenType::unused)
                continue;
            if (std::find(end_ids.begin(), end_ids.end(), id) != end_ids.end()) continue;
            std::string b = tokenizer.token_bytes(id);
            if (b.empty() || b.size() > std::numeric_limits<uint16_t>::max()) continue;
            const int32_t cps = plain_code_points(b);
            if (cps >= 0)
                plain.emplace_back(cps, id);
            else
                not_plain_ids.push_back(id);
            text_ids.push_back(id);
            bytes[static_cast<size_t>(id)] = std::move(b);
        }
        return std::make_shared<Vocabulary>(n, std::move(bytes), text_ids, not_plain_ids, std::move(plain));
    }
};

namespace {

std::string text_tail(const std::string& text) {
    constexpr size_t kShown = 60;
    return text.size() <= kShown ? text : "..." + text.substr(text.size() - kShown);
}

}  // namespace

JsonSchemaConstraint::JsonSchemaConstraint(JsonGrammar grammar) : grammar_(std::move(grammar)) {}

JsonSchemaConstraint::~JsonSchemaConstraint() = default;

Result<std::unique_ptr<JsonSchemaConstraint>> JsonSchemaConstraint::create(
    JsonGrammar grammar, const Tokenizer& tokenizer, std::optional<std::vector<int32_t>> end_ids) {
    std::unique_ptr<JsonSchemaConstraint> c(new JsonSchemaConstraint(std::move(grammar)));
    c->end_ids_ = end_ids ? std::move(*end_ids) : end_of_generation_tokens(tokenizer);
    for (int32_t id : c->end_ids_)
        if (id < 0 || id >= tokenizer.vocab_size())
            return make_error("[JsonSchemaConstraint] end token id " + std::to_string(id) +
                              " is outside the vocabulary of " + std::to_string(tokenizer.vocab_size()));
    c->vocab_ = Vocabulary::build(tokenizer, c->end_ids_);
    c->state_ = std::make_unique<State>();
    c->walk_.resize(static_cast<size_t>(c->vocab_->all.max_length) + 1);
    c->allowed_.assign(static_cast<size_t>(c->vocab_->n_vocab), 0);
    return c;
}

std::unique_ptr<JsonSchemaConstraint> JsonSchemaConstraint::with_grammar(JsonGrammar grammar) const {
    std::unique_ptr<JsonSchemaConstraint> c(new JsonSchemaConstraint(std::move(grammar)));
    c->vocab_ = vocab_;
    c->end_ids_ = end_ids_;
    c->state_ = std::make_unique<State>();
    c->walk_.resize(walk_.size());
    c->allowed_.assign(allowed_.size(), 0);
    return c;
}

void JsonSchemaConstraint::reset() {
    *state_ = State{};
    text_.clear();
    ended_ = false;
    budget_ = -1;
    allowed_count_ = 0;
    std::fill(allowed_.begin(), allowed_.end(), uint8_t{0});
}

bool JsonSchemaConstraint::complete() const {
    return ended_ || constrain::is_complete(grammar_.grammar(), *state_);
}

bool JsonSchemaConstraint::must_end() const {
    return ended_ || constrain::must_end(grammar_.grammar(), *state_);
}

int64_t JsonSchemaConstraint::min_tokens_to_complete() const {
    return ended_ ? 0 : constrain::min_to_complete(grammar_.grammar(), *state_);
}

bool JsonSchemaConstraint::allowed(int32_t token) const {
    return token >= 0 && token < vocab_->n_vocab && allowed_[static_cast<size_t>(token)] != 0;
}

namespace {
constexpr int64_t kInfiniteSlack = int64_t{1} << 60;
}  // namespace

void JsonSchemaConstraint::allow(int32_t token) {
    uint8_t& a = allowed_[static_cast<size_t>(token)];
    allowed_count_ += a == 0;
    a = 1;
}

void JsonSchemaConstraint::walk(const TokenTrie& trie, int64_t room) {
    const constrain::Grammar& g = grammar_.grammar();
    walk_[0].copy_from(*state_);
    const auto n_nodes = static_cast<int32_t>(trie.byte.size());
    for (int32_t i = 0; i < n_nodes;) {
        const auto ui = static_cast<size_t>(i);
        State& s = walk_[trie.depth[ui]];
        s.copy_from(walk_[trie.depth[ui] - 1u]);
        if (!constrain::step(g, s, trie.byte[ui])) {
            i = trie.next[ui];  // no token below can be allowed either
            continue;
        }
        if (trie.token_count[ui] > 0 && (room < 0 || constrain::min_to_complete(g, s) <= room))
            for (int32_t k = 0; k < trie.token_count[ui]; ++k)
                allow(trie.tokens[static_cast<size_t>(trie.token_first[ui] + k)]);
        ++i;
    }
}

void JsonSchemaConstraint::mask(std::span<float> logits) {
    const constrain::Grammar& g = grammar_.grammar();
    const Vocabulary& v = *vocab_;
    std::fill(allowed_.begin(), allowed_.end(), uint8_t{0});
    allowed_count_ = 0;
    if (!ended_) {
        // Bytes the value may still need after this token: one token per byte at worst.
        const int64_t room = budget_ < 0 ? -1 : budget_ - 1;
        constrain::PlainStringSpot spot;
        if (constrain::plain_string_spot(g, *state_, &spot)) {
            // Plain tokens of n code points: allowed for n <= max - count, and (with a budget) when
            // the rest still fits: others + max(0, min - count - n) + 1 <= room.
            const int64_t own = std::max<int64_t>(0, spot.min_length - spot.count) + 1;
            const int64_t others = constrain::min_to_complete(g, *state_) - own;
            const int64_t slack = room < 0 ? kInfiniteSlack : room - others - 1;
            const int64_t lo = spot.min_length - spot.count - slack;  // fewest code points
            const int64_t hi = spot.max_length - spot.count;          // most code points
            const auto last = static_cast<int64_t>(v.plain_from.size()) - 1;
            if (slack >= 0) {
                const int32_t from = v.plain_from[static_cast<size_t>(std::clamp<int64_t>(lo, 0, last))];
                const int32_t to = hi >= last
                                       ? static_cast<int32_t>(v.plain_by_length.size())
                                       : v.plain_from[static_cast<size_t>(std::max<int64_t>(hi + 1, 0))];
                for (int32_t i = from; i < to; ++i) allow(v.plain_by_length[static_cast<size_t>(i)]);
            }
            walk(v.not_plain, room);
        } else {
            walk(v.all, room);
        }
        if (constrain::is_complete(g, *state_))
            for (int32_t id : end_ids_) allow(id);
    }
    constexpr float kForbidden = -std::numeric_limits<float>::infinity();
    const size_t n = std::min(logits.size(), allowed_.size());
    for (size_t i = 0; i < n; ++i)
        if (!allowed_[i]) logits[i] = kForbidden;
    for (size_t i = n; i < logits.size(); ++i) logits[i] = kForbidden;
}

Status JsonSchemaConstraint::accept(int32_t token) {
    if (ended_) return make_error("[JsonSchemaConstraint] token " + std::to_string(token) + " after the end");
    if (std::find(end_ids_.begin(), end_ids_.end(), token) != end_ids_.end()) {
        if (!constrain::is_complete(grammar_.grammar(), *state_))
            return make_error("[JsonSchemaConstraint] end token " + std::to_string(token) +
                              " before the JSON value is complete: \"" + text_tail(text_) + "\"");
        ended_ = true;
        return {};
    }
    if (token < 0 || token >= vocab_->n_vocab || vocab_->bytes[static_cast<size_t>(token)].empty())
        return make_error("[JsonSchemaConstraint] token " + std::to_string(token) +
                          " is not text (a special or unknown token)");
    const std::string& bytes = vocab_->bytes[static_cast<size_t>(token)];
    State& scratch = walk_[0];
    scratch.copy_from(*state_);
    for (char c : bytes)
        if (!constrain::step(grammar_.grammar(), scratch, static_cast<uint8_t>(c)))
            return make_error("[JsonSchemaConstraint] token " + std::to_string(token) + " (\"" + bytes +
                              "\") cannot follow \"" + text_tail(text_) + "\"");
    state_->copy_from(scratch);
    text_ += bytes;
    return {};
}

}  // namespace engine
