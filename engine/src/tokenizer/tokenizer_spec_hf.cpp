// Hugging Face tokenizer.json (+ tokenizer_config.json) -> TokenizerSpec.
//
// Only pipelines we can reproduce exactly are accepted; anything else is an error that names the part we
// do not know, never a silently different tokenizer:
//  - byte-level BPE: a ByteLevel pre-tokenizer (alone, after Digits, or after a Split whose regex is one of
//    the known patterns), mapped onto our pre-tokenizer names;
//  - byte-fallback BPE converted from SentencePiece (Gemma, Llama 2, Mistral): our SentencePiece path
//    merges by the score of the merged piece, so scores are derived from merge ranks. That equals rank
//    order when every split of a reachable token into two reachable tokens is itself a merge and the
//    merges producing one token are consecutive, which is how transformers converts SentencePiece models
//    (verified below; a vocabulary trained directly as BPE fails the check with a clear error).
#include <algorithm>
#include <limits>
#include <unordered_map>
#include <unordered_set>

#include "engine/json.h"
#include "engine/log.h"
#include "engine/tokenizer.h"
#include "tokenizer/utf8.h"

namespace engine {

namespace {

constexpr std::string_view kWhere = "[tokenizer_spec_from_hf] ";
constexpr std::string_view kSpaceMark = "\xE2\x96\x81";  // U+2581

// Pre-tokenizer regexes exactly as tokenizer.json files spell them.
constexpr std::string_view kGpt2Regex =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
constexpr std::string_view kGpt2TiktokenRegex =
    R"('(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
constexpr std::string_view kLlama3Regex =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr std::string_view kQwen2Regex =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

Error fail(const std::string& message) { return make_error(std::string(kWhere) + message); }

std::string quoted(std::string_view s) {
    constexpr size_t kMax = 80;
    std::string out = "'";
    out.append(s.substr(0, kMax));
    if (s.size() > kMax) out.append("...");
    return out + "'";
}

std::string_view type_of(const json::Value& v) { return v["type"].get_string().value_or(""); }

// A short rendering of a pipeline component for error messages.
std::string describe(const json::Value& v) {
    std::string s = json::dump(v, {json::DumpOptions::Style::compact});
    return s.size() > 200 ? s.substr(0, 200) + "..." : s;
}

size_t count_chars(std::string_view s) {
    size_t n = 0;
    for (size_t i = 0; i < s.size(); i += utf8::sequence_length(static_cast<uint8_t>(s[i]))) ++n;
    return n;
}

bool is_byte_token(std::string_view t) {
    auto hex = [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f');
    };
    return t.size() == 6 && t.substr(0, 3) == "<0x" && t[5] == '>' && hex(t[3]) && hex(t[4]);
}

bool mergeable(TokenType t) {
    return t == TokenType::normal || t == TokenType::undefined || t == TokenType::user_defined;
}

// The vocabulary of model.vocab plus added_tokens, indexed by id.
struct Vocab {
    std::vector<std::string> tokens;
    std::vector<TokenType> types;
    std::unordered_map<std::string_view, int32_t> by_text;  // first id wins

    std::optional<int32_t> find(std::string_view text) const {
        auto it = by_text.find(text);
        if (it == by_text.end()) return std::nullopt;
        return it->second;
    }
};

Result<Vocab> read_vocab(const json::Value& model, const json::Value& added) {
    const json::Value& vocab = model["vocab"];
    if (!vocab.is_object() || vocab.size() == 0) return fail("model.vocab is missing or not an object");
    if (!added.is_null() && !added.is_array()) return fail("added_tokens is not an array");
    constexpr int64_t kMaxId = std::numeric_limits<int32_t>::max() - 1;

    int64_t max_id = -1;
    for (const json::Member& m : vocab.as_object()) {
        const std::optional<int64_t> id = m.value.get_int();
        if (!id || *id < 0 || *id > kMaxId) {
            return fail("model.vocab[" + quoted(m.key) + "] = " + describe(m.value) + " is not a token id");
        }
        max_id = std::max(max_id, *id);
    }
    for (const json::Value& a : added.as_array()) {
        const std::optional<int64_t> id = a["id"].get_int();
        if (!id || *id < 0 || *id > kMaxId || !a["content"].is_string()) {
            return fail("added token " + describe(a) + " has no valid id and content");
        }
        max_id = std::max(max_id, *id);
    }

    Vocab v;
    const auto n = static_cast<size_t>(max_id + 1);
    v.tokens.resize(n);
    // Ids no entry names stay empty and unused: they decode to nothing and are never produced.
    v.types.assign(n, TokenType::unused);
    for (const json::Member& m : vocab.as_object()) {
        const auto id = static_cast<size_t>(m.value.as_int());
        if (v.types[id] != TokenType::unused) {
            return fail("model.vocab gives id " + std::to_string(id) + " to both " + quoted(v.tokens[id]) +
                        " and " + quoted(m.key));
        }
        v.tokens[id] = m.key;
        v.types[id] = TokenType::normal;
    }
    size_t stripped = 0;
    for (const json::Value& a : added.as_array()) {
        const auto id = static_cast<size_t>(a["id"].as_int());
        const std::string& content = a["content"].as_string();
        if (v.types[id] == TokenType::normal && v.tokens[id] != content) {
            return fail("added token " + quoted(content) + " has id " + std::to_string(id) +
                        ", which model.vocab gives to " + quoted(v.tokens[id]));
        }
        v.tokens[id] = content;
        v.types[id] = a["special"].as_bool() ? TokenType::control : TokenType::user_defined;
        if (a["lstrip"].as_bool() || a["rstrip"].as_bool() || a["single_word"].as_bool()) ++stripped;
    }
    if (stripped > 0) {
        // We match added tokens exactly; HF would also swallow neighbouring spaces for these.
        ENGINE_LOG_WARN(
            "[tokenizer_spec_from_hf] %zu added tokens ask for lstrip/rstrip/single_word, "
            "which is not supported: they are matched exactly",
            stripped);
    }
    v.by_text.reserve(n);
    for (size_t i = 0; i < n; ++i) {
        if (v.types[i] != TokenType::unused) v.by_text.emplace(v.tokens[i], static_cast<int32_t>(i));
    }
    return v;
}

// model.merges as (left, right) pairs: "a b" strings or, in newer files, [a, b] arrays.
Result<std::vector<std::pair<std::string_view, std::string_view>>> read_merges(const json::Value& model) {
    const json::Value& merges = model["merges"];
    std::vector<std::pair<std::string_view, std::string_view>> out;
    if (merges.is_null()) return out;
    if (!merges.is_array()) return fail("model.merges is not an array");
    out.reserve(merges.size());
    for (size_t r = 0; r < merges.size(); ++r) {
        const json::Value& m = merges[r];
        if (m.is_string()) {
            const std::string& s = m.as_string();
            // Split at the first space after the first character, as Tokenizer::create does.
            const size_t sp = s.size() > 1 ? s.find(' ', 1) : std::string::npos;
            if (sp == std::string::npos || sp + 1 >= s.size()) {
                return fail("model.merges[" + std::to_string(r) + "] " + quoted(s) +
                            " is not two tokens separated by a space");
            }
            out.emplace_back(std::string_view(s).substr(0, sp), std::string_view(s).substr(sp + 1));
        } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
            out.emplace_back(m[0].as_string(), m[1].as_string());
        } else {
            return fail("model.merges[" + std::to_string(r) + "] " + describe(m) +
                        " is neither \"a b\" nor [a, b]");
        }
    }
    return out;
}

// ---- byte-level BPE ----------------------------------------------------------------------------

Status check_byte_level_step(const json::Value& step) {
    if (step["add_prefix_space"].as_bool()) {
        return fail("pre-tokenizer ByteLevel with add_prefix_space=true is not supported");
    }
    return {};
}

// Our pre-tokenizer name for the tokenizer.json pre_tokenizer of a byte-level BPE.
Result<std::string> byte_level_pre_name(const json::Value& pre) {
    const std::string_view type = type_of(pre);
    const std::string unknown =
        "pre-tokenizer " + describe(pre) +
        " is not a known byte-level BPE pipeline (known: ByteLevel, "
        "Digits(individual)+ByteLevel, Split(GPT-2 / Llama 3 / Qwen2 regex)+ByteLevel)";
    if (type == "ByteLevel") {
        if (!pre["use_regex"].as_bool()) return fail(unknown);
        ENGINE_TRY(check_byte_level_step(pre));
        return std::string("gpt2");
    }
    if (type != "Sequence" || pre["pretokenizers"].size() != 2) return fail(unknown);
    const json::Value& first = pre["pretokenizers"][0];
    const json::Value& byte_level = pre["pretokenizers"][1];
    if (type_of(byte_level) != "ByteLevel") return fail(unknown);
    ENGINE_TRY(check_byte_level_step(byte_level));
    const bool byte_level_regex = byte_level["use_regex"].as_bool();

    if (type_of(first) == "Digits" && first["individual_digits"].as_bool() && byte_level_regex) {
        return std::string("smollm");
    }
    if (type_of(first) == "Split" && !byte_level_regex && !first["invert"].as_bool() &&
        first["behavior"].get_string() == "Isolated") {
        const std::string_view regex = first["pattern"]["Regex"].get_string().value_or("");
        if (regex == kGpt2Regex || regex == kGpt2TiktokenRegex) return std::string("gpt2");
        if (regex == kLlama3Regex) return std::string("llama-bpe");
        if (regex == kQwen2Regex) return std::string("qwen2");
        if (!regex.empty()) {
            return fail("pre-tokenizer Split regex " + quoted(regex) +
                        " is not one we know (GPT-2, Llama 3, Qwen2); refusing to guess");
        }
    }
    return fail(unknown);
}

Status fill_byte_level(const json::Value& tj, const json::Value& model, const Vocab& vocab,
                       TokenizerSpec& spec) {
    const json::Value& normalizer = tj["normalizer"];
    if (type_of(normalizer) == "NFC") {
        // Qwen2 composes characters first; we pass text through unchanged (equal for NFC input).
        ENGINE_LOG_INFO("[tokenizer_spec_from_hf] NFC normalizer: input is assumed to be NFC already");
    } else if (!normalizer.is_null()) {
        return fail("normalizer " + describe(normalizer) + " is not supported for byte-level BPE");
    }
    auto pre = byte_level_pre_name(tj["pre_tokenizer"]);
    if (!pre) return pre.error();
    spec.pre = std::move(pre.value());
    // Llama 3 looks whole words up before merging; our pre-tokenizer name carries that choice.
    const bool want_ignore = spec.pre == "llama-bpe";
    if (model["ignore_merges"].as_bool() != want_ignore) {
        return fail(std::string("model.ignore_merges = ") + (want_ignore ? "false" : "true") +
                    " does not fit pre-tokenizer '" + spec.pre + "'");
    }
    const json::Value& decoder = tj["decoder"];
    if (!decoder.is_null() && type_of(decoder) != "ByteLevel") {
        return fail("decoder " + describe(decoder) + " is not ByteLevel");
    }

    auto merges = read_merges(model);
    if (!merges) return merges.error();
    spec.merges.reserve(merges->size());
    for (const auto& [left, right] : *merges) {
        // Byte-level spellings hold no spaces, so the "a b" form is unambiguous.
        if (left.find(' ') != std::string_view::npos || right.find(' ') != std::string_view::npos) {
            return fail("merge [" + quoted(left) + ", " + quoted(right) + "] holds a space");
        }
        std::string m;
        m.reserve(left.size() + right.size() + 1);
        m.append(left).append(" ").append(right);
        spec.merges.push_back(std::move(m));
    }
    if (const auto unk = model["unk_token"].get_string()) spec.unk_id = vocab.find(*unk).value_or(-1);
    return {};
}

// ---- SentencePiece-style BPE -----------------------------------------------------------------

struct SpaceHandling {
    bool replace_spaces = false;                  // " " -> U+2581
    bool prepend = false;                         // Prepend normalizer: U+2581 before every fragment
    std::string_view metaspace_scheme = "never";  // Metaspace: U+2581 unless the fragment starts with one
    bool split_on_marks = false;                  // Metaspace(split=true): words end before each U+2581
};

Status read_spm_normalizer(const json::Value& n, SpaceHandling& sh) {
    const std::string_view type = type_of(n);
    if (n.is_null()) return {};
    if (type == "Sequence") {
        for (const json::Value& step : n["normalizers"].as_array()) ENGINE_TRY(read_spm_normalizer(step, sh));
        return {};
    }
    if (type == "Replace" && n["pattern"]["String"].get_string() == " " &&
        n["content"].get_string() == kSpaceMark) {
        sh.replace_spaces = true;
        return {};
    }
    if (type == "Prepend" && n["prepend"].get_string() == kSpaceMark) {
        sh.prepend = true;
        return {};
    }
    return fail("normalizer " + describe(n) + " is not supported for byte-fallback BPE");
}

Status read_spm_pre_tokenizer(const json::Value& p, SpaceHandling& sh) {
    const std::string_view type = type_of(p);
    if (p.is_null()) return {};
    if (type == "Sequence") {
        for (const json::Value& step : p["pretokenizers"].as_array())
            ENGINE_TRY(read_spm_pre_tokenizer(step, sh));
        return {};
    }
    if (type == "Metaspace" && p["replacement"].get_string() == kSpaceMark) {
        sh.replace_spaces = true;
        // prepend_scheme replaced the older add_prefix_space flag; both default to prepending.
        const std::string_view scheme = p["prepend_scheme"].get_string().value_or(
            p["add_prefix_space"].get_bool().value_or(true) ? "always" : "never");
        if (scheme != "first" && scheme != "always" && scheme != "never") {
            return fail("Metaspace prepend_scheme " + quoted(scheme) + " is not known");
        }
        sh.metaspace_scheme = scheme;
        sh.split_on_marks = p["split"].get_bool().value_or(true);
        return {};
    }
    // Gemma splits on " " after its normalizer has already turned every space into U+2581: a no-op.
    if (type == "Split" && sh.replace_spaces && p["pattern"]["String"].get_string() == " ") return {};
    return fail("pre-tokenizer " + describe(p) + " is not supported for byte-fallback BPE");
}

uint64_t pair_key(int32_t l, int32_t r) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(l)) << 32) | static_cast<uint32_t>(r);
}

// Scores from merge ranks: the token made by merge r scores -(r + 1), so earlier merges win, and tokens no
// merge makes (beyond single characters) become unused, as BPE never produces them.
Status derive_scores(const json::Value& model, Vocab& vocab, TokenizerSpec& spec) {
    auto merges = read_merges(model);
    if (!merges) return merges.error();
    const size_t n = vocab.tokens.size();
    if (merges->size() >= (size_t{1} << 24)) {
        return fail(std::to_string(merges->size()) + " merges are too many to rank exactly as float scores");
    }
    constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();
    std::vector<uint32_t> first_rank(n, kNone);
    std::unordered_set<uint64_t> pairs;
    pairs.reserve(merges->size());
    // Added non-special tokens are cut out of the raw text before normalization, so their text never
    // reaches merging unless normalization can create it (it holds U+2581 and no space); merges that
    // make or use the others never fire, in HF or here.
    auto dead = [&](int32_t id) {
        const auto i = static_cast<size_t>(id);
        return vocab.types[i] == TokenType::user_defined &&
               (vocab.tokens[i].find(' ') != std::string::npos ||
                vocab.tokens[i].find(kSpaceMark) == std::string::npos);
    };
    std::string joined;
    int32_t previous = -1;
    for (size_t r = 0; r < merges->size(); ++r) {
        // Plain references, not a structured binding: clang 14 cannot capture those in the lambda below.
        const auto& left = (*merges)[r].first;
        const auto& right = (*merges)[r].second;
        joined.assign(left).append(right);
        const auto l = vocab.find(left);
        const auto rt = vocab.find(right);
        const auto t = vocab.find(joined);
        auto name = [&] {
            return "merge " + std::to_string(r) + " [" + quoted(left) + ", " + quoted(right) + "]";
        };
        if (!l || !rt || !t) return fail(name() + " names a token that is not in the vocabulary");
        if (dead(*l) || dead(*rt) || dead(*t)) continue;
        for (int32_t id : {*l, *rt, *t}) {
            if (!mergeable(vocab.types[static_cast<size_t>(id)])) {
                return fail(name() + " involves " + quoted(vocab.tokens[static_cast<size_t>(id)]) +
                            ", a special/byte token, which our byte-fallback BPE never merges");
            }
        }
        if (first_rank[static_cast<size_t>(*t)] == kNone) {
            first_rank[static_cast<size_t>(*t)] = static_cast<uint32_t>(r);
        } else if (*t != previous) {
            return fail("the merges making " + quoted(joined) + " are not consecutive (again at " + name() +
                        "), so they cannot be expressed as SentencePiece scores");
        }
        previous = *t;
        pairs.insert(pair_key(*l, *rt));
    }

    spec.scores.assign(n, 0.0f);
    const float lowest = -static_cast<float>(merges->size() + 1);
    for (size_t i = 0; i < n; ++i) {
        if (!mergeable(vocab.types[i])) continue;
        if (first_rank[i] != kNone) {
            spec.scores[i] = -static_cast<float>(first_rank[i] + 1);
        } else {
            spec.scores[i] = lowest;
            if (vocab.types[i] != TokenType::user_defined && count_chars(vocab.tokens[i]) > 1) {
                vocab.types[i] = TokenType::unused;
            }
        }
    }
    // Our merging joins any two neighbours whose concatenation is a token; BPE joins only listed pairs.
    // They agree when every split of a token into two producible tokens is a listed merge.
    auto producible = [&](int32_t id) {
        const auto i = static_cast<size_t>(id);
        return mergeable(vocab.types[i]) && !dead(id) &&
               (first_rank[i] != kNone || count_chars(vocab.tokens[i]) == 1);
    };
    for (size_t i = 0; i < n; ++i) {
        if (!mergeable(vocab.types[i]) || dead(static_cast<int32_t>(i))) continue;
        const std::string_view t = vocab.tokens[i];
        for (size_t k = utf8::sequence_length(static_cast<uint8_t>(t[0])); k < t.size();
             k += utf8::sequence_length(static_cast<uint8_t>(t[k]))) {
            const auto l = vocab.find(t.substr(0, k));
            const auto r = vocab.find(t.substr(k));
            if (l && r && producible(*l) && producible(*r) && !pairs.contains(pair_key(*l, *r))) {
                return fail("merge [" + quoted(t.substr(0, k)) + ", " + quoted(t.substr(k)) +
                            "] is missing although " + quoted(t) +
                            " is in the vocabulary: these merges were not converted from SentencePiece, "
                            "which byte-fallback BPE needs here");
            }
        }
    }
    return {};
}

Status fill_sentencepiece(const json::Value& tj, const json::Value& model, Vocab& vocab,
                          TokenizerSpec& spec) {
    SpaceHandling sh;
    ENGINE_TRY(read_spm_normalizer(tj["normalizer"], sh));
    ENGINE_TRY(read_spm_pre_tokenizer(tj["pre_tokenizer"], sh));
    if (!sh.replace_spaces) {
        return fail(
            "byte-fallback BPE without a space -> U+2581 normalizer or Metaspace pre-tokenizer is not "
            "supported (normalizer " +
            describe(tj["normalizer"]) + ", pre-tokenizer " + describe(tj["pre_tokenizer"]) + ")");
    }
    if (model["ignore_merges"].as_bool())
        return fail("model.ignore_merges with byte_fallback is not supported");
    if (sh.prepend && sh.metaspace_scheme != "never") {
        return fail("both a Prepend normalizer and a prepending Metaspace pre-tokenizer: not supported");
    }
    spec.add_space_prefix = sh.prepend || sh.metaspace_scheme != "never";
    spec.space_prefix_every_fragment = sh.prepend || sh.metaspace_scheme == "always";
    spec.space_prefix_unless_space = sh.metaspace_scheme != "never";

    for (size_t i = 0; i < vocab.tokens.size(); ++i) {
        if (vocab.types[i] == TokenType::normal && is_byte_token(vocab.tokens[i]))
            vocab.types[i] = TokenType::byte;
    }
    if (const auto unk = model["unk_token"].get_string()) {
        const auto id = vocab.find(*unk);
        if (!id) return fail("model.unk_token " + quoted(*unk) + " is not in the vocabulary");
        spec.unk_id = *id;
        if (vocab.types[static_cast<size_t>(*id)] == TokenType::normal) {
            vocab.types[static_cast<size_t>(*id)] = TokenType::unknown;
        }
    }
    ENGINE_TRY(derive_scores(model, vocab, spec));

    if (sh.split_on_marks) {
        // Splitting before each U+2581 only matters when a producible token has one past its start.
        for (size_t i = 0; i < vocab.tokens.size(); ++i) {
            if (mergeable(vocab.types[i]) && vocab.tokens[i].find(kSpaceMark, 1) != std::string::npos) {
                return fail("Metaspace(split=true) with token " + quoted(vocab.tokens[i]) +
                            ", which spans a word boundary, is not supported");
            }
        }
    }
    return {};
}

// ---- special tokens ----------------------------------------------------------------------------

// A tokenizer_config special token: a string or an AddedToken dict {"content": ...}.
std::optional<std::string_view> config_token(const json::Value& config, std::string_view key) {
    const json::Value& v = config[key];
    if (const auto s = v.get_string()) return s;
    return v["content"].get_string();
}

struct TemplateSpecials {
    std::vector<int32_t> before;  // added in front of the text
    std::vector<int32_t> after;   // added after it
};

Result<TemplateSpecials> read_post_processor(const json::Value& pp, const Vocab& vocab) {
    TemplateSpecials out;
    const std::string_view type = type_of(pp);
    if (pp.is_null() || type == "ByteLevel") return out;
    if (type == "Sequence") {
        for (const json::Value& step : pp["processors"].as_array()) {
            auto sub = read_post_processor(step, vocab);
            if (!sub) return sub.error();
            out.before.insert(out.before.end(), sub->before.begin(), sub->before.end());
            out.after.insert(out.after.end(), sub->after.begin(), sub->after.end());
        }
        return out;
    }
    if (type != "TemplateProcessing") return fail("post-processor " + describe(pp) + " is not supported");
    bool seen_text = false;
    for (const json::Value& item : pp["single"].as_array()) {
        if (item.find("Sequence") != nullptr) {
            seen_text = true;
            continue;
        }
        const std::string_view name = item["SpecialToken"]["id"].get_string().value_or("");
        // The template names its tokens; special_tokens maps each name to ids (usually one).
        const json::Value& ids = pp["special_tokens"][name]["ids"];
        std::optional<int32_t> id;
        if (ids.size() == 1 && ids[0].is_int()) {
            const int64_t v = ids[0].as_int();
            if (v >= 0 && static_cast<size_t>(v) < vocab.tokens.size()) id = static_cast<int32_t>(v);
        } else if (ids.is_null()) {
            id = vocab.find(name);
        }
        if (!id) return fail("post-processor token " + describe(item) + " does not name one known token");
        (seen_text ? out.after : out.before).push_back(*id);
    }
    return out;
}

Status fill_specials(const json::Value& tj, const json::Value& config, const Vocab& vocab,
                     TokenizerSpec& spec) {
    auto lookup = [&](std::string_view key, bool required, int32_t& dst) -> Status {
        const auto text = config_token(config, key);
        if (!text) return {};
        const auto id = vocab.find(*text);
        if (id) {
            dst = *id;
        } else if (required) {
            return fail("tokenizer_config " + std::string(key) + " " + quoted(*text) +
                        " is not in the vocabulary");
        }
        return {};
    };
    ENGINE_TRY(lookup("bos_token", true, spec.bos_id));
    ENGINE_TRY(lookup("eos_token", true, spec.eos_id));
    ENGINE_TRY(lookup("unk_token", false, spec.unk_id));
    ENGINE_TRY(lookup("pad_token", false, spec.pad_id));

    auto post = read_post_processor(tj["post_processor"], vocab);
    if (!post) return post.error();
    if (post->before.size() > 1 || post->after.size() > 1) {
        return fail("post-processor " + describe(tj["post_processor"]) +
                    " adds more than one token on a side, which is not supported");
    }
    // The config's flags win (transformers rebuilds the post-processor from them); else the template.
    auto decide = [&](const char* flag, const std::vector<int32_t>& added, int32_t& id, bool& add) -> Status {
        if (const auto b = config[flag].get_bool()) {
            add = *b;
            if (add && id < 0)
                return fail(std::string("tokenizer_config sets ") + flag + " but names no such token");
            return {};
        }
        if (added.empty()) return {};
        if (id >= 0 && id != added[0]) {
            return fail("the post-processor adds " + quoted(vocab.tokens[static_cast<size_t>(added[0])]) +
                        " where tokenizer_config names " + quoted(vocab.tokens[static_cast<size_t>(id)]));
        }
        id = added[0];
        add = true;
        return {};
    };
    ENGINE_TRY(decide("add_bos_token", post->before, spec.bos_id, spec.add_bos));
    ENGINE_TRY(decide("add_eos_token", post->after, spec.eos_id, spec.add_eos));
    return {};
}

}  // namespace

Result<TokenizerSpec> tokenizer_spec_from_hf(const json::Value& tokenizer_json,
                                             const json::Value& tokenizer_config) {
    if (!tokenizer_json.is_object()) return fail("tokenizer.json is not an object");
    if (!tokenizer_config.is_null() && !tokenizer_config.is_object()) {
        return fail("tokenizer_config.json is not an object");
    }
    const json::Value& model = tokenizer_json["model"];
    const std::string_view model_type = type_of(model);
    if (model_type != "BPE" && !(model_type.empty() && model.find("merges") != nullptr)) {
        return fail("model type " + quoted(model_type) + " is not supported (supported: BPE)");
    }
    for (const char* affix : {"continuing_subword_prefix", "end_of_word_suffix"}) {
        if (!model[affix].get_string().value_or("").empty()) {
            return fail(std::string("model.") + affix + " " + describe(model[affix]) + " is not supported");
        }
    }
    auto vocab = read_vocab(model, tokenizer_json["added_tokens"]);
    if (!vocab) return vocab.error();

    TokenizerSpec spec;
    if (model["byte_fallback"].as_bool()) {
        spec.kind = TokenizerKind::sentencepiece_bpe;
        ENGINE_TRY(fill_sentencepiece(tokenizer_json, model, *vocab, spec));
    } else {
        spec.kind = TokenizerKind::byte_level_bpe;
        ENGINE_TRY(fill_byte_level(tokenizer_json, model, *vocab, spec));
    }
    ENGINE_TRY(fill_specials(tokenizer_json, tokenizer_config, *vocab, spec));
    spec.tokens = std::move(vocab->tokens);
    spec.types = std::move(vocab->types);
    return spec;
}

}  // namespace engine
