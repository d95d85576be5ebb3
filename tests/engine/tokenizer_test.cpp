// Byte-level BPE on tiny hand-built vocabularies whose results can be worked out by hand.
#include "engine/tokenizer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tokenizer/byte_alphabet.h"

using engine::TokenizerSpec;
using engine::TokenType;
using Ids = std::vector<int32_t>;

namespace {

// Tokens 0..255 spell the bytes 0..255 (GPT-2 alphabet); `extra` tokens follow from id 256.
TokenizerSpec byte_spec(const std::vector<std::string>& extra, const std::vector<std::string>& merges,
                        const std::string& pre = "gpt2") {
    TokenizerSpec spec;
    spec.kind = engine::TokenizerKind::byte_level_bpe;
    spec.pre = pre;
    for (int b = 0; b < 256; ++b) {
        const char c = static_cast<char>(b);
        spec.tokens.push_back(engine::byte_alphabet::from_bytes(std::string_view(&c, 1)));
    }
    for (const auto& t : extra) spec.tokens.push_back(t);
    spec.merges = merges;
    return spec;
}

engine::Tokenizer make(TokenizerSpec spec) {
    auto t = engine::Tokenizer::create(std::move(spec));
    EXPECT_TRUE(t.ok()) << (t.ok() ? "" : t.error().message);
    return std::move(t.value());
}

int32_t b(char c) { return static_cast<uint8_t>(c); }  // id of a single-byte token in byte_spec

}  // namespace

TEST(ByteAlphabet, MatchesGpt2Spelling) {
    using engine::byte_alphabet::codepoint_of;
    EXPECT_EQ(codepoint_of('a'), static_cast<uint32_t>('a'));
    EXPECT_EQ(codepoint_of('!'), static_cast<uint32_t>('!'));
    EXPECT_EQ(codepoint_of(0x00), 0x100u);  // first non-printable byte
    EXPECT_EQ(codepoint_of(' '), 0x120u);   // "Ġ"
    EXPECT_EQ(codepoint_of('\n'), 0x10Au);  // "Ċ"
    EXPECT_EQ(codepoint_of(0xAD), 0x143u);  // soft hyphen is the last remapped byte
    EXPECT_EQ(codepoint_of(0xE9), 0xE9u);
    for (int v = 0; v < 256; ++v)
        EXPECT_EQ(engine::byte_alphabet::byte_of(codepoint_of(static_cast<uint8_t>(v))), v);
    EXPECT_EQ(engine::byte_alphabet::to_bytes("\xC4\xA0the\xC4\x8A"), " the\n");
}

TEST(ByteLevelBpe, MergesFollowRankOrder) {
    // "hello world": "hello" merges fully; " world" becomes Ġwor + l + d.
    auto tok = make(byte_spec({"he", "ll", "hell", "hello", "\xC4\xA0w", "or", "\xC4\xA0wor"},
                              {"h e", "l l", "he ll", "hell o", "\xC4\xA0 w", "o r", "\xC4\xA0w or"}));
    EXPECT_EQ(tok.encode("hello world"), (Ids{259, 262, b('l'), b('d')}));
    EXPECT_EQ(tok.decode(tok.encode("hello world")), "hello world");
}

TEST(ByteLevelBpe, LowerRankWinsOverlaps) {
    auto ab_first = make(byte_spec({"ab", "bc"}, {"a b", "b c"}));
    EXPECT_EQ(ab_first.encode("abc"), (Ids{256, b('c')}));
    auto bc_first = make(byte_spec({"ab", "bc"}, {"b c", "a b"}));
    EXPECT_EQ(bc_first.encode("abc"), (Ids{b('a'), 257}));
    // Equal ranks (the same merge twice in a row): the leftmost pair merges first.
    auto aa = make(byte_spec({"aa"}, {"a a"}));
    EXPECT_EQ(aa.encode("aaa"), (Ids{256, b('a')}));
    EXPECT_EQ(aa.encode("aaaa"), (Ids{256, 256}));
}

TEST(ByteLevelBpe, Gpt2PatternSplitsWhitespaceRunsAndContractions) {
    // Merges that would cross piece boundaries must not apply: "a" and " b" are separate pieces.
    auto tok = make(byte_spec({"\xC4\xA0\xC4\xA0", "a\xC4\xA0", "'t", "'T"},
                              {"\xC4\xA0 \xC4\xA0", "a \xC4\xA0", "' t", "' T"}));
    // "a   b" -> "a" | "  " (\s+(?!\S) leaves the last space) | " b"
    EXPECT_EQ(tok.encode("a   b"), (Ids{b('a'), 256, b(' '), b('b')}));
    EXPECT_EQ(tok.encode("don't"), (Ids{b('d'), b('o'), b('n'), 258}));
    // GPT-2's contractions are case-sensitive: "'T" is punctuation then a letter.
    EXPECT_EQ(tok.encode("DON'T"), (Ids{b('D'), b('O'), b('N'), b('\''), b('T')}));
    // Llama 3's are not.
    auto spec = byte_spec({"\xC4\xA0\xC4\xA0", "a\xC4\xA0", "'t", "'T"},
                          {"\xC4\xA0 \xC4\xA0", "a \xC4\xA0", "' t", "' T"}, "llama-bpe");
    auto llama3 = make(std::move(spec));
    EXPECT_EQ(llama3.encode("DON'T"), (Ids{b('D'), b('O'), b('N'), 259}));
}

TEST(ByteLevelBpe, DigitHandlingDependsOnPreTokenizer) {
    const std::vector<std::string> extra = {"12", "123",
                                            "\xC4\xA0"
                                            "1"};
    const std::vector<std::string> merges = {"1 2", "12 3", "\xC4\xA0 1"};
    // gpt2: " 123" is one piece; Ġ1 (rank 2) loses to 12 (rank 0) and 123 (rank 1).
    EXPECT_EQ(make(byte_spec(extra, merges, "gpt2")).encode(" 123"), (Ids{b(' '), 257}));
    // smollm: every digit is its own piece first.
    EXPECT_EQ(make(byte_spec(extra, merges, "smollm")).encode(" 123"), (Ids{b(' '), b('1'), b('2'), b('3')}));
    // llama-bpe: digits in groups of at most three, and no space in front of them.
    EXPECT_EQ(make(byte_spec(extra, merges, "llama-bpe")).encode(" 12345"),
              (Ids{b(' '), 257, b('4'), b('5')}));
    // qwen2: single digits.
    EXPECT_EQ(make(byte_spec(extra, merges, "qwen2")).encode("123"), (Ids{b('1'), b('2'), b('3')}));
}

TEST(ByteLevelBpe, IgnoreMergesTakesWholeWordsForLlama3) {
    // "xyz" is in the vocabulary but no merge builds it; Llama 3 uses it whole, GPT-2 cannot reach it.
    EXPECT_EQ(make(byte_spec({"xyz"}, {}, "llama-bpe")).encode("xyz"), (Ids{256}));
    EXPECT_EQ(make(byte_spec({"xyz"}, {}, "gpt2")).encode("xyz"), (Ids{b('x'), b('y'), b('z')}));
}

TEST(ByteLevelBpe, AddedTokensLeftmostLongest) {
    auto spec = byte_spec({"<|end|>", "ab", "abc"}, {});
    spec.types.assign(spec.tokens.size(), TokenType::normal);
    spec.types[256] = TokenType::control;
    spec.types[257] = TokenType::user_defined;
    spec.types[258] = TokenType::user_defined;
    auto tok = make(std::move(spec));
    EXPECT_EQ(tok.encode("x<|end|>y", false, /*parse_special=*/true), (Ids{b('x'), 256, b('y')}));
    // Without parse_special the control token is plain text (pieces "x<|", "end", "|>", "y")...
    EXPECT_EQ(tok.encode("x<|end|>y", false, false),
              (Ids{b('x'), b('<'), b('|'), b('e'), b('n'), b('d'), b('|'), b('>'), b('y')}));
    // ...but user-defined tokens always match, longest first at the leftmost position.
    EXPECT_EQ(tok.encode("xabcd", false, false), (Ids{b('x'), 258, b('d')}));
    EXPECT_EQ(tok.encode("abab", false, false), (Ids{257, 257}));
    EXPECT_EQ(tok.decode(Ids{b('x'), 256, b('y')}, /*skip_special=*/true), "xy");
    EXPECT_EQ(tok.decode(Ids{b('x'), 256, b('y')}), "x<|end|>y");
    EXPECT_TRUE(tok.is_control(256));
    EXPECT_FALSE(tok.is_control(257));
}

TEST(ByteLevelBpe, BosEosOnlyWithAddSpecial) {
    auto spec = byte_spec({"<s>", "</s>"}, {});
    spec.bos_id = 256;
    spec.eos_id = 257;
    spec.add_bos = true;
    spec.add_eos = true;
    auto tok = make(std::move(spec));
    EXPECT_EQ(tok.encode("a", /*add_special=*/true), (Ids{256, b('a'), 257}));
    EXPECT_EQ(tok.encode("a", /*add_special=*/false), (Ids{b('a')}));
    EXPECT_EQ(tok.encode("", true), (Ids{256, 257}));
}

TEST(ByteLevelBpe, BytesMissingFromVocabularyAreDroppedLikeHf) {
    auto spec = byte_spec({"!?"}, {"! ?"});
    spec.tokens[4] = "<unused-4>";  // no token spells byte 0x04 any more
    auto tok = make(std::move(spec));
    // "!\x04?" is one pre-token; HF's BPE without an unk token drops the byte and its neighbours then
    // merge (checked with tokenizers 0.23 on the same vocabulary).
    EXPECT_EQ(tok.encode(std::string("!\x04?")), (Ids{256}));
    EXPECT_EQ(tok.encode(std::string("a\x04"
                                     "b")),
              (Ids{b('a'), b('b')}));  // separate pre-tokens
}

TEST(ByteLevelBpe, InvalidUtf8RoundTrips) {
    auto tok = make(byte_spec({}, {}));
    const std::string junk =
        "\xFF\xFE"
        "abc\xC3"
        " \xE2\x82";
    const auto ids = tok.encode(junk);
    EXPECT_EQ(ids.size(), junk.size());
    EXPECT_EQ(tok.decode(ids), junk);
}

TEST(ByteLevelBpe, TokenAccessors) {
    auto tok = make(byte_spec({"\xC4\xA0the"}, {}));
    EXPECT_EQ(tok.vocab_size(), 257);
    EXPECT_EQ(tok.token_text(256), "\xC4\xA0the");
    EXPECT_EQ(tok.token_bytes(256), " the");
    EXPECT_EQ(tok.find_token("\xC4\xA0the"), 256);
    EXPECT_FALSE(tok.find_token(" the").has_value());
    EXPECT_EQ(tok.token_text(-1), "");
    EXPECT_EQ(tok.token_bytes(257), "");
    EXPECT_EQ(tok.decode(Ids{-5, 999, b('a')}), "a");  // out-of-range ids are skipped, not a crash
}

TEST(TokenizerCreate, RejectsBadSpecsWithClearErrors) {
    auto expect_error = [](TokenizerSpec spec, const std::string& needle) {
        auto t = engine::Tokenizer::create(std::move(spec));
        ASSERT_FALSE(t.ok()) << "expected an error mentioning " << needle;
        EXPECT_NE(t.error().message.find(needle), std::string::npos) << t.error().message;
        EXPECT_EQ(t.error().message.rfind("[Tokenizer::create]", 0), 0u) << t.error().message;
    };
    expect_error(byte_spec({}, {"a zz"}), "'zz'");
    expect_error(byte_spec({}, {"a b"}), "'ab'");  // result not in the vocabulary
    expect_error(byte_spec({}, {"ab"}), "'ab'");   // no separator
    expect_error(byte_spec({}, {}, "nonsense"), "nonsense");
    auto bad_bos = byte_spec({}, {});
    bad_bos.bos_id = 256;
    expect_error(bad_bos, "bos id 256");
    auto bad_types = byte_spec({}, {});
    bad_types.types.assign(3, TokenType::normal);
    expect_error(bad_types, "3 token types");
    auto bad_type = byte_spec({}, {});
    bad_type.types.assign(256, TokenType::normal);
    bad_type.types[7] = static_cast<TokenType>(9);
    expect_error(bad_type, "type 9");
    expect_error(TokenizerSpec{}, "empty");
    auto no_bos = byte_spec({}, {});
    no_bos.add_bos = true;
    expect_error(no_bos, "add_bos");
}
