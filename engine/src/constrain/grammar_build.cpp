// Trie building and the finishing pass shared by every grammar.
#include <algorithm>
#include <bitset>
#include <map>

#include "constrain/compiler.h"
#include "constrain/number.h"

namespace engine::constrain {
namespace {

Error node_error(const Node& n, const std::string& what) {
    return make_error("[json_schema] at " + (n.path.empty() ? std::string("#") : n.path) + ": " + what);
}

std::bitset<256> first_bytes(const Grammar& g, const Node& n) {
    std::bitset<256> bytes;
    switch (n.kind) {
        case Kind::object:
            bytes.set('{');
            break;
        case Kind::array:
            bytes.set('[');
            break;
        case Kind::string:
            bytes.set('"');
            break;
        case Kind::number:
            bytes.set('-');
            for (int c = '0'; c <= '9'; ++c) bytes.set(static_cast<size_t>(c));
            break;
        case Kind::literal: {
            const TrieNode& root = g.trie_nodes[static_cast<size_t>(n.trie)];
            for (int32_t i = 0; i < root.n_edges; ++i)
                bytes.set(g.trie_edges[static_cast<size_t>(root.first_edge + i)].byte);
            break;
        }
        case Kind::alternatives:
            break;
    }
    return bytes;
}

// The non-alternatives nodes an alternatives node stands for.
Status collect_leaves(const Grammar& g, int32_t node, std::vector<bool>& visiting,
                      std::vector<int32_t>& out) {
    const Node& n = g.nodes[static_cast<size_t>(node)];
    if (n.kind != Kind::alternatives) {
        if (std::find(out.begin(), out.end(), node) == out.end()) out.push_back(node);
        return {};
    }
    if (visiting[static_cast<size_t>(node)])
        return node_error(n, "the schema refers to itself without any value in between");
    visiting[static_cast<size_t>(node)] = true;
    for (int32_t alt : n.alternatives) ENGINE_TRY(collect_leaves(g, alt, visiting, out));
    visiting[static_cast<size_t>(node)] = false;
    return {};
}

Status build_dispatch(Grammar& g) {
    std::map<std::vector<int32_t>, int32_t> merged;  // literal leaves -> their union
    std::vector<bool> visiting(g.nodes.size(), false);
    const size_t n_nodes = g.nodes.size();  // merged literal nodes are appended; they are leaves
    for (size_t i = 0; i < n_nodes; ++i) {
        if (g.nodes[i].kind != Kind::alternatives) continue;
        std::vector<int32_t> leaves;
        visiting.assign(g.nodes.size(), false);
        ENGINE_TRY(collect_leaves(g, static_cast<int32_t>(i), visiting, leaves));
        std::vector<std::bitset<256>> firsts;
        for (int32_t leaf : leaves) firsts.push_back(first_bytes(g, g.nodes[static_cast<size_t>(leaf)]));
        std::array<int32_t, 256> table;
        table.fill(-1);
        for (int c = 0; c < 256; ++c) {
            std::vector<int32_t> starting;
            for (size_t k = 0; k < leaves.size(); ++k)
                if (firsts[k].test(static_cast<size_t>(c))) starting.push_back(leaves[k]);
            if (starting.empty()) continue;
            if (starting.size() == 1) {
                table[static_cast<size_t>(c)] = starting[0];
                continue;
            }
            for (int32_t leaf : starting) {
                if (g.nodes[static_cast<size_t>(leaf)].kind != Kind::literal) {
                    const Node& a = g.nodes[static_cast<size_t>(starting[0])];
                    const Node& b = g.nodes[static_cast<size_t>(starting[1])];
                    std::string shown = c >= 0x20 && c < 0x7F ? std::string(1, static_cast<char>(c))
                                                              : "\\x" + std::to_string(c);
                    return node_error(g.nodes[i], "alternatives " + (a.path.empty() ? "#" : a.path) +
                                                      " and " + (b.path.empty() ? "#" : b.path) +
                                                      " can both start with '" + shown +
                                                      "'; only alternatives that differ in their first "
                                                      "character (or that are all enum/const values) are "
                                                      "supported");
                }
            }
            std::sort(starting.begin(), starting.end());
            auto found = merged.find(starting);
            if (found == merged.end()) {
                std::vector<std::string> texts;
                for (int32_t leaf : starting) {
                    const auto& lits = g.nodes[static_cast<size_t>(leaf)].literals;
                    texts.insert(texts.end(), lits.begin(), lits.end());
                }
                int32_t node = add_literal_node(g, std::move(texts), g.nodes[i].path);
                found = merged.emplace(starting, node).first;
            }
            table[static_cast<size_t>(c)] = found->second;
        }
        g.nodes[i].dispatch = static_cast<int32_t>(g.dispatch.size());
        g.dispatch.push_back(table);
    }
    return {};
}

int64_t literal_min_length(const Node& n) {
    int64_t best = kInfinite;
    for (const auto& t : n.literals) best = std::min(best, static_cast<int64_t>(t.size()));
    return best;
}

int64_t compute_min_len(const Grammar& g, const Node& n) {
    auto min_len = [&](int32_t node) { return g.nodes[static_cast<size_t>(node)].min_len; };
    switch (n.kind) {
        case Kind::alternatives: {
            int64_t best = kInfinite;
            for (int32_t alt : n.alternatives) best = std::min(best, min_len(alt));
            return best;
        }
        case Kind::object: {
            if (n.free_form) return 2;
            int64_t total = 2;
            int64_t n_required = 0;
            for (const auto& p : n.props) {
                if (!p.required) continue;
                total =
                    add_cost(total, add_cost(static_cast<int64_t>(p.key_text.size()) + 1, min_len(p.value)));
                ++n_required;
            }
            return add_cost(total, std::max<int64_t>(0, n_required - 1));  // commas
        }
        case Kind::array:
            if (n.min_items == 0) return 2;
            return add_cost(1, mul_cost(add_cost(1, min_len(n.value)), n.min_items));  // [V,V]
        case Kind::string:
            return add_cost(2, std::min(n.min_length, kInfinite));
        case Kind::number:
            return number_min_length(n);
        case Kind::literal:
            return literal_min_length(n);
    }
    return kInfinite;
}

// Trie node costs: the cheapest terminal below (its cost plus the bytes to reach it).
// Children come after their parents, so a backward sweep sees them first.
template <class TerminalCost>
void set_trie_costs(Grammar& g, int32_t root, int32_t end, TerminalCost terminal_cost) {
    for (int32_t i = end - 1; i >= root; --i) {
        TrieNode& t = g.trie_nodes[static_cast<size_t>(i)];
        int64_t best = t.payload >= 0 ? terminal_cost(t.payload) : kInfinite;
        for (int32_t e = 0; e < t.n_edges; ++e) {
            const TrieEdge& edge = g.trie_edges[static_cast<size_t>(t.first_edge + e)];
            best = std::min(best, add_cost(1, g.trie_nodes[static_cast<size_t>(edge.target)].cost));
        }
        t.cost = best;
    }
}

void build_object_tables(Grammar& g, size_t index) {
    Node& n = g.nodes[index];
    const size_t count = n.props.size();
    auto min_len = [&](int32_t node) { return g.nodes[static_cast<size_t>(node)].min_len; };
    n.first_required.assign(count + 1, static_cast<int32_t>(count));
    n.after_value_cost.assign(count + 1, 1);  // '}'
    for (size_t i = count; i-- > 0;) {
        const Property& p = n.props[i];
        n.first_required[i] = p.required ? static_cast<int32_t>(i) : n.first_required[i + 1];
        n.after_value_cost[i] = n.after_value_cost[i + 1];
        if (p.required)  // ,"key":V
            n.after_value_cost[i] =
                add_cost(n.after_value_cost[i],
                         add_cost(static_cast<int64_t>(p.key_text.size()) + 2, min_len(p.value)));
    }
    n.key_trie.assign(count + 1, -1);
    n.comma_cost.assign(count + 1, kInfinite);
    for (size_t i = 0; i <= count; ++i) {
        std::vector<std::pair<std::string, int32_t>> keys;
        const size_t last = std::min(count, static_cast<size_t>(n.first_required[i]) + 1);
        for (size_t k = i; k < last; ++k) keys.emplace_back(n.props[k].key_text, static_cast<int32_t>(k));
        int32_t root = build_trie(g, std::move(keys));
        Node& node = g.nodes[index];  // build_trie does not touch nodes, but keep the reference honest
        node.key_trie[i] = root;
        set_trie_costs(g, root, static_cast<int32_t>(g.trie_nodes.size()), [&](int32_t k) {
            const Property& p = node.props[static_cast<size_t>(k)];
            return add_cost(1, add_cost(min_len(p.value), node.after_value_cost[static_cast<size_t>(k) + 1]));
        });
        node.comma_cost[i] = g.trie_nodes[static_cast<size_t>(root)].cost;
    }
}

}  // namespace

int32_t build_trie(Grammar& g, std::vector<std::pair<std::string, int32_t>> entries) {
    std::stable_sort(entries.begin(), entries.end(),
                     [](const auto& x, const auto& y) { return x.first < y.first; });
    struct Work {
        int32_t node;
        size_t lo, hi, depth;
    };
    const auto root = static_cast<int32_t>(g.trie_nodes.size());
    g.trie_nodes.emplace_back();
    std::vector<Work> stack{{root, 0, entries.size(), 0}};
    while (!stack.empty()) {
        Work w = stack.back();
        stack.pop_back();
        size_t i = w.lo;
        int32_t payload = -1;
        // Sorted, so the texts that end here come first (the first one given wins).
        if (i < w.hi && entries[i].first.size() == w.depth) payload = entries[i].second;
        while (i < w.hi && entries[i].first.size() == w.depth) ++i;
        const auto first_edge = static_cast<int32_t>(g.trie_edges.size());
        int32_t n_edges = 0;
        while (i < w.hi) {
            const auto byte = static_cast<uint8_t>(entries[i].first[w.depth]);
            size_t j = i;
            while (j < w.hi && static_cast<uint8_t>(entries[j].first[w.depth]) == byte) ++j;
            TrieEdge edge;
            edge.byte = byte;
            edge.target = static_cast<int32_t>(g.trie_nodes.size());
            g.trie_nodes.emplace_back();
            g.trie_edges.push_back(edge);
            stack.push_back({edge.target, i, j, w.depth + 1});
            ++n_edges;
            i = j;
        }
        TrieNode& t = g.trie_nodes[static_cast<size_t>(w.node)];
        t.first_edge = first_edge;
        t.n_edges = n_edges;
        t.payload = payload;
    }
    return root;
}

int32_t add_literal_node(Grammar& g, std::vector<std::string> texts, std::string path) {
    Node n;
    n.kind = Kind::literal;
    n.path = std::move(path);
    std::vector<std::pair<std::string, int32_t>> entries;
    for (const auto& t : texts) entries.emplace_back(t, 0);
    n.trie = build_trie(g, std::move(entries));
    n.trie_end = static_cast<int32_t>(g.trie_nodes.size());
    n.literals = std::move(texts);
    g.nodes.push_back(std::move(n));
    return static_cast<int32_t>(g.nodes.size() - 1);
}

int32_t add_any_value(Grammar& g) {
    auto add = [&g](Node n) {
        n.path = "any value";
        g.nodes.push_back(std::move(n));
        return static_cast<int32_t>(g.nodes.size() - 1);
    };
    Node alternatives;
    alternatives.kind = Kind::alternatives;
    const int32_t any = add(alternatives);
    Node string;
    string.kind = Kind::string;
    const int32_t str = add(string);
    Node object;
    object.kind = Kind::object;
    object.free_form = true;
    object.key = str;
    object.value = any;
    const int32_t obj = add(object);
    Node array;
    array.kind = Kind::array;
    array.value = any;
    const int32_t arr = add(array);
    Node number;
    number.kind = Kind::number;
    const int32_t num = add(number);
    const int32_t lit = add_literal_node(g, {"true", "false", "null"}, "any value");
    g.nodes[static_cast<size_t>(any)].alternatives = {obj, arr, str, num, lit};
    return any;
}

Status finish_grammar(Grammar& g) {
    ENGINE_TRY(build_dispatch(g));
    // Shortest lengths: a fixed point, since recursive schemas refer to themselves.
    for (auto& n : g.nodes) n.min_len = kInfinite;
    for (bool changed = true; changed;) {
        changed = false;
        for (size_t i = 0; i < g.nodes.size(); ++i) {
            int64_t v = compute_min_len(g, g.nodes[i]);
            if (v < g.nodes[i].min_len) {
                g.nodes[i].min_len = v;
                changed = true;
            }
        }
    }
    for (const auto& n : g.nodes)
        if (n.min_len >= kInfinite) return node_error(n, "no finite JSON value satisfies this schema");
    for (size_t i = 0; i < g.nodes.size(); ++i) {
        Node& n = g.nodes[i];
        if (n.kind == Kind::literal)
            set_trie_costs(g, n.trie, n.trie_end, [](int32_t) { return int64_t{0}; });
        if (n.kind == Kind::object && !n.free_form) build_object_tables(g, i);
    }
    return {};
}

std::shared_ptr<const Grammar> any_value_grammar() {
    static const std::shared_ptr<const Grammar> grammar = [] {
        auto g = std::make_shared<Grammar>();
        g->root = add_any_value(*g);
        Status status = finish_grammar(*g);
        (void)status;  // the built-in grammar always finishes
        return g;
    }();
    return grammar;
}

}  // namespace engine::constrain
