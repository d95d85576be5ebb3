#include "constrain/matcher.h"

#include <algorithm>

#include "constrain/number.h"

namespace engine::constrain {
namespace {

enum ObjectPhase : uint8_t {
    kObjOpen,        // after '{'
    kObjKey,         // inside a fixed key (b = key trie node)
    kObjKeyString,   // free-form key: a string frame is on top
    kObjColon,       // after the key
    kObjAfterColon,  // after ':' (one space may follow)
    kObjValueStart,  // after ": "
    kObjInValue,     // the value's frame is on top
    kObjAfterValue,  // after a value: ',' or '}'
    kObjComma,       // after ',' (one space may follow)
    kObjCommaSpace,  // after ", "
};

enum ArrayPhase : uint8_t { kArrOpen, kArrInValue, kArrAfterValue, kArrComma, kArrCommaSpace };

enum StringPhase : uint8_t {
    kStrPlain,         // between characters (or inside a UTF-8 sequence when u2 > 0)
    kStrEscape,        // after '\'
    kStrHex,           // in \uXXXX (u1 digits read, b their value)
    kStrLowBackslash,  // after a high surrogate escape: '\' of its low half
    kStrLowU,          // 'u' of the low half
    kStrLowHex,        // in the low half's hex digits (DC00-DFFF)
};

// Allowed range of the next UTF-8 continuation byte (Unicode Table 3-7).
enum Utf8Range : uint8_t { kCont80BF, kContA0BF, kCont809F, kCont90BF, kCont808F };

enum class Outcome {
    consumed,  // the frame took the byte and stays open
    rejected,
    finished,  // the frame took the byte and its value is closed
    ended,     // the frame's value ended before the byte (a number, a literal prefix of another)
};

int hex_value(uint8_t c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool continuation_ok(uint8_t range, uint8_t c) {
    switch (range) {
        case kContA0BF:
            return c >= 0xA0 && c <= 0xBF;
        case kCont809F:
            return c >= 0x80 && c <= 0x9F;
        case kCont90BF:
            return c >= 0x90 && c <= 0xBF;
        case kCont808F:
            return c >= 0x80 && c <= 0x8F;
        default:
            return c >= 0x80 && c <= 0xBF;
    }
}

// A container's child value closed: move the container past it.
void child_done(const Grammar& g, State& s) {
    if (s.depth == 0) return;
    Frame& parent = s.frames[static_cast<size_t>(s.depth - 1)];
    if (g.nodes[static_cast<size_t>(parent.node)].kind == Kind::array) {
        ++parent.a;  // items so far
        parent.phase = kArrAfterValue;
    } else if (parent.phase == kObjKeyString) {
        parent.phase = kObjColon;
    } else {
        ++parent.a;  // the next property index
        parent.phase = kObjAfterValue;
    }
}

// Opens a value of `node` with its first byte (a new frame, unless a one-byte literal closes at once).
bool start_value(const Grammar& g, State& s, int32_t node, uint8_t c) {
    const Node* n = &g.nodes[static_cast<size_t>(node)];
    if (n->kind == Kind::alternatives) {
        node = g.dispatch[static_cast<size_t>(n->dispatch)][c];
        if (node < 0) return false;
        n = &g.nodes[static_cast<size_t>(node)];
    }
    if (s.depth >= kMaxDepth) return false;
    Frame& f = s.frames[static_cast<size_t>(s.depth)];
    f = Frame{};
    f.node = node;
    switch (n->kind) {
        case Kind::object:
            if (c != '{') return false;
            f.phase = kObjOpen;
            break;
        case Kind::array:
            if (c != '[') return false;
            f.phase = kArrOpen;
            break;
        case Kind::string:
            if (c != '"') return false;
            f.phase = kStrPlain;
            break;
        case Kind::number:
            if (!number_start(*n, f, c)) return false;
            break;
        case Kind::literal: {
            int32_t next = trie_child(g, n->trie, c);
            if (next < 0) return false;
            const TrieNode& t = g.trie_nodes[static_cast<size_t>(next)];
            if (t.payload >= 0 && t.n_edges == 0) {
                child_done(g, s);
                return true;
            }
            f.b = next;
            break;
        }
        case Kind::alternatives:
            return false;  // dispatch tables never point at alternatives
    }
    ++s.depth;
    return true;
}

Outcome enter_key(const Grammar& g, const Node& n, Frame& f, uint8_t c) {
    int32_t next = trie_child(g, n.key_trie[static_cast<size_t>(f.a)], c);
    if (next < 0) return Outcome::rejected;
    f.phase = kObjKey;
    f.b = next;
    return Outcome::consumed;
}

Outcome step_object(const Grammar& g, State& s, Frame& f, const Node& n, uint8_t c) {
    const auto n_props = static_cast<int64_t>(n.props.size());
    auto no_required_left = [&] {
        return n.free_form || n.first_required[static_cast<size_t>(f.a)] == n_props;
    };
    switch (f.phase) {
        case kObjOpen:
            if (c == '}') return no_required_left() ? Outcome::finished : Outcome::rejected;
            if (n.free_form) {
                f.phase = kObjKeyString;
                return start_value(g, s, n.key, c) ? Outcome::consumed : Outcome::rejected;
            }
            return enter_key(g, n, f, c);
        case kObjKey: {
            int32_t next = trie_child(g, static_cast<int32_t>(f.b), c);
            if (next < 0) return Outcome::rejected;
            const TrieNode& t = g.trie_nodes[static_cast<size_t>(next)];
            if (t.payload >= 0) {
                f.a = t.payload;
                f.phase = kObjColon;
            } else {
                f.b = next;
            }
            return Outcome::consumed;
        }
        case kObjColon:
            if (c != ':') return Outcome::rejected;
            f.phase = kObjAfterColon;
            return Outcome::consumed;
        case kObjAfterColon:
            if (c == ' ') {
                f.phase = kObjValueStart;
                return Outcome::consumed;
            }
            [[fallthrough]];
        case kObjValueStart: {
            f.phase = kObjInValue;
            int32_t value = n.free_form ? n.value : n.props[static_cast<size_t>(f.a)].value;
            return start_value(g, s, value, c) ? Outcome::consumed : Outcome::rejected;
        }
        case kObjAfterValue:
            if (c == ',' && (n.free_form || f.a < n_props)) {
                f.phase = kObjComma;
                return Outcome::consumed;
            }
            if (c == '}' && no_required_left()) return Outcome::finished;
            return Outcome::rejected;
        case kObjComma:
            if (c == ' ') {
                f.phase = kObjCommaSpace;
                return Outcome::consumed;
            }
            [[fallthrough]];
        case kObjCommaSpace:
            if (n.free_form) {
                f.phase = kObjKeyString;
                return start_value(g, s, n.key, c) ? Outcome::consumed : Outcome::rejected;
            }
            return enter_key(g, n, f, c);
        default:
            return Outcome::rejected;  // a child frame is on top
    }
}

Outcome step_array(const Grammar& g, State& s, Frame& f, const Node& n, uint8_t c) {
    switch (f.phase) {
        case kArrOpen:
            if (c == ']') return n.min_items == 0 ? Outcome::finished : Outcome::rejected;
            if (n.max_items == 0) return Outcome::rejected;
            f.phase = kArrInValue;
            return start_value(g, s, n.value, c) ? Outcome::consumed : Outcome::rejected;
        case kArrAfterValue:
            if (c == ',' && f.a < n.max_items) {
                f.phase = kArrComma;
                return Outcome::consumed;
            }
            if (c == ']' && f.a >= n.min_items) return Outcome::finished;
            return Outcome::rejected;
        case kArrComma:
            if (c == ' ') {
                f.phase = kArrCommaSpace;
                return Outcome::consumed;
            }
            [[fallthrough]];
        case kArrCommaSpace:
            f.phase = kArrInValue;
            return start_value(g, s, n.value, c) ? Outcome::consumed : Outcome::rejected;
        default:
            return Outcome::rejected;
    }
}

Outcome step_string(Frame& f, const Node& n, uint8_t c) {
    switch (f.phase) {
        case kStrPlain:
            if (f.u2 > 0) {  // inside a multi-byte character
                if (!continuation_ok(f.u3, c)) return Outcome::rejected;
                --f.u2;
                f.u3 = kCont80BF;
                return Outcome::consumed;
            }
            if (c == '"') return f.a >= n.min_length ? Outcome::finished : Outcome::rejected;
            if (c < 0x20 || f.a >= n.max_length) return Outcome::rejected;
            if (c == '\\') {
                f.phase = kStrEscape;
            } else if (c >= 0x80) {
                if (c >= 0xC2 && c <= 0xDF) {
                    f.u2 = 1;
                    f.u3 = kCont80BF;
                } else if (c >= 0xE0 && c <= 0xEF) {
                    f.u2 = 2;
                    f.u3 = c == 0xE0 ? kContA0BF : c == 0xED ? kCont809F : kCont80BF;
                } else if (c >= 0xF0 && c <= 0xF4) {
                    f.u2 = 3;
                    f.u3 = c == 0xF0 ? kCont90BF : c == 0xF4 ? kCont808F : kCont80BF;
                } else {
                    return Outcome::rejected;  // a stray continuation byte, C0/C1, F5-FF
                }
            }
            ++f.a;  // one more code point (an escape counts when it starts)
            return Outcome::consumed;
        case kStrEscape:
            switch (c) {
                case '"':
                case '\\':
                case '/':
                case 'b':
                case 'f':
                case 'n':
                case 'r':
                case 't':
                    f.phase = kStrPlain;
                    return Outcome::consumed;
                case 'u':
                    f.phase = kStrHex;
                    f.u1 = 0;
                    f.b = 0;
                    return Outcome::consumed;
                default:
                    return Outcome::rejected;
            }
        case kStrHex: {
            int h = hex_value(c);
            if (h < 0) return Outcome::rejected;
            f.b = f.b * 16 + h;
            ++f.u1;
            if (f.u1 == 2 && f.b >= 0xDC && f.b <= 0xDF) return Outcome::rejected;  // a lone low surrogate
            if (f.u1 == 4) f.phase = f.b >= 0xD800 && f.b <= 0xDBFF ? kStrLowBackslash : kStrPlain;
            return Outcome::consumed;
        }
        case kStrLowBackslash:
            if (c != '\\') return Outcome::rejected;
            f.phase = kStrLowU;
            return Outcome::consumed;
        case kStrLowU:
            if (c != 'u') return Outcome::rejected;
            f.phase = kStrLowHex;
            f.u1 = 0;
            return Outcome::consumed;
        case kStrLowHex: {
            int h = hex_value(c);
            if (h < 0 || (f.u1 == 0 && h != 0xD) || (f.u1 == 1 && h < 0xC)) return Outcome::rejected;
            if (++f.u1 == 4) f.phase = kStrPlain;
            return Outcome::consumed;
        }
        default:
            return Outcome::rejected;
    }
}

Outcome step_literal(const Grammar& g, Frame& f, uint8_t c) {
    int32_t next = trie_child(g, static_cast<int32_t>(f.b), c);
    if (next < 0)
        return g.trie_nodes[static_cast<size_t>(f.b)].payload >= 0 ? Outcome::ended : Outcome::rejected;
    f.b = next;
    const TrieNode& t = g.trie_nodes[static_cast<size_t>(next)];
    return t.payload >= 0 && t.n_edges == 0 ? Outcome::finished : Outcome::consumed;
}

Outcome step_top(const Grammar& g, State& s, uint8_t c) {
    Frame& f = s.frames[static_cast<size_t>(s.depth - 1)];
    const Node& n = g.nodes[static_cast<size_t>(f.node)];
    switch (n.kind) {
        case Kind::object:
            return step_object(g, s, f, n, c);
        case Kind::array:
            return step_array(g, s, f, n, c);
        case Kind::string:
            return step_string(f, n, c);
        case Kind::number:
            switch (number_step(n, f, c)) {
                case NumberStep::consumed:
                    return Outcome::consumed;
                case NumberStep::ended:
                    return Outcome::ended;
                default:
                    return Outcome::rejected;
            }
        case Kind::literal:
            return step_literal(g, f, c);
        default:
            return Outcome::rejected;
    }
}

int64_t object_cost(const Grammar& g, const Frame& f, const Node& n) {
    auto min_len = [&](int32_t node) { return g.nodes[static_cast<size_t>(node)].min_len; };
    if (n.free_form) {
        const int64_t v = min_len(n.value);
        switch (f.phase) {
            case kObjKeyString:
            case kObjColon:
                return add_cost(2, v);
            case kObjAfterColon:
            case kObjValueStart:
                return add_cost(1, v);
            case kObjComma:
            case kObjCommaSpace:
                return add_cost(4, v);  // "":V}
            default:
                return 1;  // kObjOpen, kObjInValue, kObjAfterValue: '}'
        }
    }
    const auto a = static_cast<size_t>(f.a);
    switch (f.phase) {
        case kObjOpen:
            return n.first_required[0] == static_cast<int32_t>(n.props.size()) ? 1
                                                                               : n.after_value_cost[0] - 1;
        case kObjKey:
            return g.trie_nodes[static_cast<size_t>(f.b)].cost;
        case kObjColon:
            return add_cost(1, add_cost(min_len(n.props[a].value), n.after_value_cost[a + 1]));
        case kObjAfterColon:
        case kObjValueStart:
            return add_cost(min_len(n.props[a].value), n.after_value_cost[a + 1]);
        case kObjInValue:
            return n.after_value_cost[a + 1];
        case kObjAfterValue:
            return n.after_value_cost[a];
        default:  // kObjComma, kObjCommaSpace
            return n.comma_cost[a];
    }
}

int64_t array_cost(const Grammar& g, const Frame& f, const Node& n) {
    const int64_t m = g.nodes[static_cast<size_t>(n.value)].min_len;
    const int64_t per_item = add_cost(1, m);  // ",V"
    switch (f.phase) {
        case kArrOpen:
            return n.min_items == 0 ? 1 : mul_cost(per_item, n.min_items);  // V,V,...,V]
        case kArrInValue:
            return add_cost(mul_cost(per_item, std::max<int64_t>(0, n.min_items - f.a - 1)), 1);
        case kArrAfterValue:
            return add_cost(mul_cost(per_item, std::max<int64_t>(0, n.min_items - f.a)), 1);
        default:  // after a comma: one value, then the rest
            return add_cost(add_cost(m, mul_cost(per_item, std::max<int64_t>(0, n.min_items - f.a - 1))), 1);
    }
}

int64_t string_cost(const Frame& f, const Node& n) {
    int64_t pending = 0;
    switch (f.phase) {
        case kStrPlain:
            pending = f.u2;
            break;
        case kStrEscape:
            pending = 1;
            break;
        case kStrHex: {
            pending = 4 - f.u1;
            const int64_t high = f.u1 >= 2 ? f.b >> (4 * (f.u1 - 2)) : 0;  // the first two hex digits
            if (high >= 0xD8 && high <= 0xDB) pending += 6;                // \uDC00 must follow
            break;
        }
        case kStrLowBackslash:
            pending = 6;
            break;
        case kStrLowU:
            pending = 5;
            break;
        default:  // kStrLowHex
            pending = 4 - f.u1;
            break;
    }
    return pending + std::max<int64_t>(0, n.min_length - f.a) + 1;
}

bool frame_complete(const Grammar& g, const Frame& f) {
    const Node& n = g.nodes[static_cast<size_t>(f.node)];
    if (n.kind == Kind::number) return number_complete(n, f);
    if (n.kind == Kind::literal) return g.trie_nodes[static_cast<size_t>(f.b)].payload >= 0;
    return false;
}

}  // namespace

bool step(const Grammar& g, State& s, uint8_t byte) {
    for (;;) {
        if (s.depth == 0) {
            if (s.started) return false;  // the value is closed: nothing may follow
            s.started = true;
            return start_value(g, s, g.root, byte);
        }
        switch (step_top(g, s, byte)) {
            case Outcome::consumed:
                return true;
            case Outcome::rejected:
                return false;
            case Outcome::finished:
                --s.depth;
                child_done(g, s);
                return true;
            case Outcome::ended:
                --s.depth;
                child_done(g, s);
                continue;  // the byte belongs to the enclosing value
        }
    }
}

bool is_complete(const Grammar& g, const State& s) {
    if (!s.started) return false;
    if (s.depth == 0) return true;
    return s.depth == 1 && frame_complete(g, s.frames[0]);
}

bool plain_string_spot(const Grammar& g, const State& s, PlainStringSpot* spot) {
    if (s.depth == 0) return false;
    const Frame& f = s.frames[static_cast<size_t>(s.depth - 1)];
    const Node& n = g.nodes[static_cast<size_t>(f.node)];
    if (n.kind != Kind::string || f.phase != kStrPlain || f.u2 != 0) return false;
    spot->count = f.a;
    spot->min_length = n.min_length;
    spot->max_length = n.max_length;
    return true;
}

bool must_end(const Grammar& g, const State& s) {
    if (!s.started) return false;
    if (s.depth == 0) return true;
    if (!is_complete(g, s)) return false;
    // A top-level scalar: rare and short, so trying every byte is fine.
    State probe;
    for (int c = 0; c < 256; ++c) {
        probe.copy_from(s);
        if (step(g, probe, static_cast<uint8_t>(c))) return false;
    }
    return true;
}

int64_t min_to_complete(const Grammar& g, const State& s) {
    if (!s.started) return g.nodes[static_cast<size_t>(g.root)].min_len;
    int64_t total = 0;
    for (int32_t i = 0; i < s.depth; ++i) {
        const Frame& f = s.frames[static_cast<size_t>(i)];
        const Node& n = g.nodes[static_cast<size_t>(f.node)];
        int64_t cost = 0;
        switch (n.kind) {
            case Kind::object:
                cost = object_cost(g, f, n);
                break;
            case Kind::array:
                cost = array_cost(g, f, n);
                break;
            case Kind::string:
                cost = string_cost(f, n);
                break;
            case Kind::number:
                cost = number_min_to_complete(n, f);
                break;
            case Kind::literal:
                cost = g.trie_nodes[static_cast<size_t>(f.b)].cost;
                break;
            case Kind::alternatives:
                break;
        }
        total = add_cost(total, cost);
    }
    return total;
}

}  // namespace engine::constrain
