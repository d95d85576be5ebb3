// The compiled form of a JSON language (private): a graph of value nodes that
// the byte-level matcher (matcher.h) walks with an explicit stack.
//
// Node kinds:
//   alternatives  a choice (anyOf, type arrays, "any value"), resolved by the
//                 first byte of the value through a 256-entry dispatch table;
//   object        fixed properties in schema order (optional ones may be
//                 skipped), or free-form (any keys, one value schema);
//   array         items of one schema, min/max count;
//   string        any JSON string with a code-point length range;
//   number        integer or number, optionally bounded (exact on a decimal grid);
//   literal       a set of exact texts (enum, const, true/false/null), as a trie.
// Literal sets and the property-key sets of objects share one trie pool.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace engine::constrain {

__extension__ using Int128 = __int128;

// Nesting limit of the matcher's stack (objects, arrays and strings each take a level).
inline constexpr int kMaxDepth = 64;
// Digits a number may have: its magnitude stays below 1e18 (exact in int64), its
// fraction on a 1e-18 grid; exponents (unbounded numbers only) have 1 or 2 digits.
inline constexpr int kMaxIntDigits = 18;
inline constexpr int kMaxFracDigits = 18;
inline constexpr int kMaxExpDigits = 2;
// Costs (bytes still needed) saturate here: "cannot complete".
inline constexpr int64_t kInfinite = int64_t{1} << 50;

inline int64_t add_cost(int64_t a, int64_t b) { return a + b >= kInfinite ? kInfinite : a + b; }
inline int64_t mul_cost(int64_t a, int64_t n) {
    if (a == 0 || n == 0) return 0;
    return a >= kInfinite / n ? kInfinite : a * n;
}

enum class Kind : uint8_t { alternatives, object, array, string, number, literal };

struct TrieEdge {
    uint8_t byte = 0;
    int32_t target = -1;
};

struct TrieNode {
    int32_t first_edge = 0;  // edges [first_edge, first_edge + n_edges), sorted by byte
    int32_t n_edges = 0;
    int32_t payload = -1;      // >= 0: a text ends here (the property index for key tries)
    int64_t cost = kInfinite;  // bytes to finish from here (see finish_grammar)
};

struct Property {
    std::string key_text;  // the key as JSON, quotes included: "name"
    int32_t value = -1;    // node of its value
    bool required = false;
};

struct Node {
    Kind kind = Kind::alternatives;
    std::string path;  // schema location, for error messages ("#/properties/score")

    // alternatives
    std::vector<int32_t> alternatives;
    int32_t dispatch = -1;  // index into Grammar::dispatch

    // object
    bool free_form = false;                 // any keys; values of node `value`
    std::vector<Property> props;            // schema objects, in order
    std::vector<int32_t> key_trie;          // [n + 1] trie of the keys that may come next, by next index
    std::vector<int32_t> first_required;    // [n + 1] first required index >= i, n when none
    std::vector<int64_t> after_value_cost;  // [n + 1] bytes to close after the value of prop i - 1
    std::vector<int64_t> comma_cost;        // [n + 1] bytes to close after a comma, next index i

    // array items, free-form object values; free-form keys
    int32_t value = -1;
    int32_t key = -1;
    int64_t min_items = 0;
    int64_t max_items = INT64_MAX;

    // string (lengths in code points)
    int64_t min_length = 0;
    int64_t max_length = INT64_MAX;

    // number: bounds on the grid (value * 10^18 for numbers, the value itself for integers)
    bool integer = false;
    bool bounded = false;
    Int128 lo = 0;
    Int128 hi = 0;

    // literal
    std::vector<std::string> literals;
    int32_t trie = -1;  // root; the trie's nodes are [trie, trie_end) in the pool
    int32_t trie_end = -1;

    int64_t min_len = kInfinite;  // bytes of the shortest value
};

struct Grammar {
    std::vector<Node> nodes;
    std::vector<TrieNode> trie_nodes;
    std::vector<TrieEdge> trie_edges;
    std::vector<std::array<int32_t, 256>> dispatch;  // byte -> node (never alternatives) or -1
    int32_t root = -1;
};

// Adds a trie over `entries` (text, payload) to the pool; returns its root. Its
// nodes are [root, g.trie_nodes.size()) afterwards, each child after its parent.
// The first payload of a text given twice wins.
int32_t build_trie(Grammar& g, std::vector<std::pair<std::string, int32_t>> entries);

// Adds a literal node matching exactly these texts.
int32_t add_literal_node(Grammar& g, std::vector<std::string> texts, std::string path);

// The child of a trie node along `byte`, or -1.
inline int32_t trie_child(const Grammar& g, int32_t node, uint8_t byte) {
    const TrieNode& n = g.trie_nodes[static_cast<size_t>(node)];
    const TrieEdge* e = g.trie_edges.data() + n.first_edge;
    for (int32_t i = 0; i < n.n_edges; ++i)
        if (e[i].byte == byte) return e[i].target;
    return -1;
}

}  // namespace engine::constrain
