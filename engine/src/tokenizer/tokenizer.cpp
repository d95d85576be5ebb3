// Tokenizer construction (validation, lookup tables) and the encode/decode drivers.
#include "engine/tokenizer.h"

#include <limits>

#include "tokenizer/byte_alphabet.h"
#include "tokenizer/tokenizer_impl.h"

namespace engine {

namespace {

// "<0x0A>" -> 10; -1 when the text is not a byte token.
int parse_byte_token(std::string_view t) {
    if (t.size() != 6 || t.substr(0, 3) != "<0x" || t[5] != '>') return -1;
    int v = 0;
    for (char c : t.substr(3, 2)) {
        v <<= 4;
        if (c >= '0' && c <= '9') {
            v |= c - '0';
        } else if (c >= 'A' && c <= 'F') {
            v |= c - 'A' + 10;
        } else if (c >= 'a' && c <= 'f') {
            v |= c - 'a' + 10;
        } else {
            return -1;
        }
    }
    return v;
}

std::string quoted(std::string_view s) {
    constexpr size_t kMax = 60;
    std::string out = "'";
    out.append(s.substr(0, kMax));
    if (s.size() > kMax) out.append("...");
    return out + "'";
}

std::string replace_space_marks(std::string_view t) {
    std::string out;
    out.reserve(t.size());
    for (size_t i = 0; i < t.size();) {
        if (t.compare(i, 3, "\xE2\x96\x81") == 0) {
            out.push_back(' ');
            i += 3;
        } else {
            out.push_back(t[i++]);
        }
    }
    return out;
}

}  // namespace

Result<Tokenizer> Tokenizer::create(TokenizerSpec spec) {
    const std::string where = "[Tokenizer::create] ";
    const size_t n = spec.tokens.size();
    if (n == 0) return make_error(where + "the vocabulary is empty");
    if (n >= static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
        return make_error(where + "vocabulary of " + std::to_string(n) + " tokens is too large");
    }
    if (spec.types.empty()) spec.types.assign(n, TokenType::normal);
    if (spec.types.size() != n) {
        return make_error(where + "got " + std::to_string(spec.types.size()) + " token types for " +
                          std::to_string(n) + " tokens");
    }
    for (size_t i = 0; i < n; ++i) {
        const auto t = static_cast<int32_t>(spec.types[i]);
        if (t < 0 || t > 6) {
            return make_error(where + "token " + std::to_string(i) + " " + quoted(spec.tokens[i]) +
                              " has unknown type " + std::to_string(t));
        }
    }
    if (spec.kind == TokenizerKind::sentencepiece_bpe && spec.scores.size() != n) {
        return make_error(where + "a sentencepiece tokenizer needs one score per token; got " +
                          std::to_string(spec.scores.size()) + " scores for " + std::to_string(n) +
                          " tokens");
    }
    if (!spec.scores.empty() && spec.scores.size() != n) {
        return make_error(where + "got " + std::to_string(spec.scores.size()) + " scores for " +
                          std::to_string(n) + " tokens");
    }
    const std::pair<const char*, int32_t> ids[] = {
        {"bos", spec.bos_id}, {"eos", spec.eos_id}, {"unk", spec.unk_id}, {"pad", spec.pad_id}};
    for (const auto& [name, id] : ids) {
        if (id < -1 || id >= static_cast<int32_t>(n)) {
            return make_error(where + name + " id " + std::to_string(id) + " is outside the vocabulary of " +
                              std::to_string(n) + " tokens");
        }
    }
    if (spec.add_bos && spec.bos_id < 0) return make_error(where + "add_bos is set but there is no bos id");
    if (spec.add_eos && spec.eos_id < 0) return make_error(where + "add_eos is set but there is no eos id");

    auto impl = std::make_shared<Impl>();
    Impl& m = *impl;
    m.spec = std::move(spec);
    const TokenizerSpec& s = m.spec;
    const bool byte_level = s.kind == TokenizerKind::byte_level_bpe;

    m.by_text.reserve(n);
    m.bytes.resize(n);
    m.byte_ids.fill(-1);
    for (size_t i = 0; i < n; ++i) {
        const auto id = static_cast<int32_t>(i);
        const std::string& text = s.tokens[i];
        m.by_text.emplace(text, id);  // keeps the first id of a duplicated text
        const TokenType type = s.types[i];
        if (type == TokenType::control || type == TokenType::user_defined) {
            m.specials.add(text, id, type == TokenType::control);
            m.bytes[i] = text;  // added tokens stand for their literal text in both families
        } else if (byte_level) {
            m.bytes[i] = byte_alphabet::to_bytes(text);
        } else if (type == TokenType::byte) {
            const int b = parse_byte_token(text);
            if (b < 0) {
                return make_error(where + "byte token " + std::to_string(i) + " " + quoted(text) +
                                  " is not of the form <0xNN>");
            }
            m.bytes[i] = std::string(1, static_cast<char>(b));
            if (m.byte_ids[static_cast<size_t>(b)] < 0) m.byte_ids[static_cast<size_t>(b)] = id;
        } else {
            m.bytes[i] = replace_space_marks(text);
        }
    }

    if (byte_level) {
        for (int b = 0; b < 256; ++b) {
            std::string spelled;
            spelled = byte_alphabet::from_bytes(std::string_view(reinterpret_cast<const char*>(&b), 1));
            auto it = m.by_text.find(spelled);
            if (it != m.by_text.end()) m.byte_ids[static_cast<size_t>(b)] = it->second;
        }
        m.merges.reserve(s.merges.size());
        std::string joined;
        for (size_t r = 0; r < s.merges.size(); ++r) {
            const std::string& merge = s.merges[r];
            // Split at the first space after the first character: token spellings hold no spaces.
            const size_t sp = merge.size() > 1 ? merge.find(' ', 1) : std::string::npos;
            if (sp == std::string::npos || sp + 1 >= merge.size()) {
                return make_error(where + "merge " + std::to_string(r) + " " + quoted(merge) +
                                  " is not two tokens separated by a space");
            }
            const std::string_view left(merge.data(), sp);
            const std::string_view right(merge.data() + sp + 1, merge.size() - sp - 1);
            auto l = m.by_text.find(left);
            auto rt = m.by_text.find(right);
            joined.assign(left);
            joined.append(right);
            auto res = m.by_text.find(joined);
            for (const auto& [it, part] :
                 {std::pair{l, left}, std::pair{rt, right}, std::pair{res, std::string_view(joined)}}) {
                if (it == m.by_text.end()) {
                    return make_error(where + "merge " + std::to_string(r) + " " + quoted(merge) +
                                      " refers to " + quoted(part) + ", which is not in the vocabulary");
                }
            }
            const uint64_t key = (static_cast<uint64_t>(static_cast<uint32_t>(l->second)) << 32) |
                                 static_cast<uint32_t>(rt->second);
            m.merges.emplace(key, Impl::Merge{static_cast<uint32_t>(r), res->second});  // first rank wins
        }
        auto pre = PreTokenizer::for_name(s.pre, m.ignore_merges);
        if (!pre) return make_error(where + pre.error().message);
        m.pre.emplace(std::move(pre.value()));
    }
    return Tokenizer(std::move(impl));
}

void Tokenizer::Impl::encode_fragment(std::string_view text, bool at_start, std::vector<int32_t>& out) const {
    if (spec.kind == TokenizerKind::sentencepiece_bpe) {
        encode_sentencepiece(text, at_start, out);
        return;
    }
    thread_local std::vector<std::string_view> words;
    words.clear();
    pre->split(text, words);
    for (std::string_view w : words) encode_byte_level_word(w, out);
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool add_special, bool parse_special) const {
    const Impl& m = *impl_;
    std::vector<int32_t> out;
    out.reserve(text.size() / 3 + 4);
    if (add_special && m.spec.add_bos) out.push_back(m.spec.bos_id);
    size_t pos = 0;
    while (pos < text.size()) {
        const SpecialMatcher::Match match =
            m.specials.empty() ? SpecialMatcher::Match{} : m.specials.find(text, pos, parse_special);
        const size_t end = match.length > 0 ? match.pos : text.size();
        if (end > pos) m.encode_fragment(text.substr(pos, end - pos), pos == 0, out);
        if (match.length == 0) break;
        out.push_back(match.id);
        pos = match.pos + match.length;
    }
    if (add_special && m.spec.add_eos) out.push_back(m.spec.eos_id);
    return out;
}

std::string Tokenizer::decode(std::span<const int32_t> ids, bool skip_special) const {
    const Impl& m = *impl_;
    std::string out;
    bool first = true;
    for (int32_t id : ids) {
        if (id < 0 || id >= vocab_size()) continue;
        if (skip_special && m.type(id) == TokenType::control) continue;
        std::string_view b = m.bytes[static_cast<size_t>(id)];
        // SentencePiece's space prefix is an encoding artifact; drop it again like HF's Metaspace decoder.
        if (first && m.spec.add_space_prefix && m.spec.kind == TokenizerKind::sentencepiece_bpe &&
            !b.empty() && b[0] == ' ') {
            b.remove_prefix(1);
        }
        first = false;
        out.append(b);
    }
    return out;
}

int32_t Tokenizer::vocab_size() const { return static_cast<int32_t>(impl_->spec.tokens.size()); }

std::string_view Tokenizer::token_text(int32_t id) const {
    if (id < 0 || id >= vocab_size()) return {};
    return impl_->spec.tokens[static_cast<size_t>(id)];
}

std::string Tokenizer::token_bytes(int32_t id) const {
    if (id < 0 || id >= vocab_size()) return {};
    return impl_->bytes[static_cast<size_t>(id)];
}

TokenType Tokenizer::token_type(int32_t id) const {
    if (id < 0 || id >= vocab_size()) return TokenType::undefined;
    return impl_->type(id);
}

std::optional<int32_t> Tokenizer::find_token(std::string_view text) const {
    auto it = impl_->by_text.find(text);
    if (it == impl_->by_text.end()) return std::nullopt;
    return it->second;
}

bool Tokenizer::is_control(int32_t id) const { return token_type(id) == TokenType::control; }
TokenizerKind Tokenizer::kind() const { return impl_->spec.kind; }
int32_t Tokenizer::bos_id() const { return impl_->spec.bos_id; }
int32_t Tokenizer::eos_id() const { return impl_->spec.eos_id; }
int32_t Tokenizer::unk_id() const { return impl_->spec.unk_id; }
int32_t Tokenizer::pad_id() const { return impl_->spec.pad_id; }
bool Tokenizer::add_bos() const { return impl_->spec.add_bos; }
bool Tokenizer::add_eos() const { return impl_->spec.add_eos; }
bool Tokenizer::add_space_prefix() const { return impl_->spec.add_space_prefix; }

}  // namespace engine
