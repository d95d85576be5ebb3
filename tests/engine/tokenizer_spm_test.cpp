// SentencePiece-style BPE, the UTF-8 stream decoder and the GGUF -> TokenizerSpec mapping, on tiny
// hand-built vocabularies.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "engine/gguf.h"
#include "engine/tokenizer.h"

using engine::TokenizerSpec;
using engine::TokenType;
using Ids = std::vector<int32_t>;

namespace {

constexpr const char* kSp = "\xE2\x96\x81";  // U+2581
const std::string kReplacement = "\xEF\xBF\xBD";

// ids: 0 <unk>, 1 <s>, 2 </s>, 3..258 <0x00>..<0xFF>, then `pieces` from 259 with their scores.
TokenizerSpec spm_spec(const std::vector<std::pair<std::string, float>>& pieces) {
    TokenizerSpec spec;
    spec.kind = engine::TokenizerKind::sentencepiece_bpe;
    spec.tokens = {"<unk>", "<s>", "</s>"};
    spec.types = {TokenType::unknown, TokenType::control, TokenType::control};
    spec.scores = {0, 0, 0};
    for (int v = 0; v < 256; ++v) {
        char name[8];
        std::snprintf(name, sizeof(name), "<0x%02X>", v);
        spec.tokens.push_back(name);
        spec.types.push_back(TokenType::byte);
        spec.scores.push_back(0);
    }
    for (const auto& [text, score] : pieces) {
        spec.tokens.push_back(text);
        spec.types.push_back(TokenType::normal);
        spec.scores.push_back(score);
    }
    spec.unk_id = 0;
    spec.bos_id = 1;
    spec.eos_id = 2;
    return spec;
}

engine::Tokenizer make(TokenizerSpec spec) {
    auto t = engine::Tokenizer::create(std::move(spec));
    EXPECT_TRUE(t.ok()) << (t.ok() ? "" : t.error().message);
    return std::move(t.value());
}

int32_t byte_id(int v) { return 3 + v; }

}  // namespace

TEST(SentencePieceBpe, HigherScoreMergesFirst) {
    // ids 259 a, 260 b, 261 c, 262 ab, 263 bc
    auto bc_wins = make(spm_spec({{"a", -10}, {"b", -10}, {"c", -10}, {"ab", -2}, {"bc", -1}}));
    EXPECT_EQ(bc_wins.encode("abc"), (Ids{259, 263}));
    auto ab_wins = make(spm_spec({{"a", -10}, {"b", -10}, {"c", -10}, {"ab", -1}, {"bc", -2}}));
    EXPECT_EQ(ab_wins.encode("abc"), (Ids{262, 261}));
    // Equal scores: leftmost first.
    auto aa = make(spm_spec({{"a", -10}, {"aa", -1}}));
    EXPECT_EQ(aa.encode("aaa"), (Ids{260, 259}));
}

TEST(SentencePieceBpe, SpacesBecomeMarksAndMergeAcrossWords) {
    // 259 a, 260 b, 261 ▁, 262 ▁b, 263 a▁b
    auto tok = make(spm_spec({{"a", -10},
                              {"b", -10},
                              {kSp, -10},
                              {std::string(kSp) + "b", -2},
                              {"a" + std::string(kSp) + "b", -1}}));
    // No whitespace pre-split: the best piece may span the space.
    EXPECT_EQ(tok.encode("a b"), (Ids{263}));
    EXPECT_EQ(tok.encode("b b"), (Ids{260, 262}));
    EXPECT_EQ(tok.encode(" b "), (Ids{262, 261}));
    EXPECT_EQ(tok.decode(Ids{260, 262}), "b b");
    EXPECT_EQ(tok.token_bytes(262), " b");
}

TEST(SentencePieceBpe, SpacePrefixOnlyAtTheStart) {
    auto spec = spm_spec({{"a", -10}, {kSp, -10}, {std::string(kSp) + "a", -1}});
    spec.add_space_prefix = true;
    spec.tokens.push_back("<sep>");
    spec.types.push_back(TokenType::control);
    spec.scores.push_back(0);
    auto tok = make(std::move(spec));  // 259 a, 260 ▁, 261 ▁a, 262 <sep>
    EXPECT_EQ(tok.encode("a"), (Ids{261}));
    EXPECT_EQ(tok.encode("a<sep>a", false, true), (Ids{261, 262, 259}));
    // The prefixed space is not output again.
    EXPECT_EQ(tok.decode(Ids{261, 262, 259}), "a<sep>a");
    engine::Utf8StreamDecoder dec(tok);
    EXPECT_EQ(dec.push(261), "a");
    EXPECT_EQ(dec.push(261), " a");
}

TEST(SentencePieceBpe, ByteFallbackForUnknownCharacters) {
    auto tok = make(spm_spec({{"a", -10}}));
    // é = C3 A9 is not in the vocabulary.
    EXPECT_EQ(tok.encode("a\xC3\xA9"), (Ids{259, byte_id(0xC3), byte_id(0xA9)}));
    EXPECT_EQ(tok.decode(tok.encode("a\xC3\xA9")), "a\xC3\xA9");
    // Without byte tokens the character becomes <unk>.
    TokenizerSpec spec;
    spec.kind = engine::TokenizerKind::sentencepiece_bpe;
    spec.tokens = {"<unk>", "a"};
    spec.types = {TokenType::unknown, TokenType::normal};
    spec.scores = {0, -1};
    spec.unk_id = 0;
    auto no_bytes = make(std::move(spec));
    EXPECT_EQ(no_bytes.encode("a\xC3\xA9"
                              "a"),
              (Ids{1, 0, 1}));
}

TEST(SentencePieceBpe, UserDefinedAlwaysWholeControlOnlyWhenParsed) {
    auto spec = spm_spec({{"<", -10}, {">", -10}, {"b", -10}, {"o", -10}, {"\n", -10}});
    spec.tokens.push_back("<bo>");
    spec.types.push_back(TokenType::control);
    spec.scores.push_back(0);
    spec.tokens.push_back("\n\n");
    spec.types.push_back(TokenType::user_defined);
    spec.scores.push_back(0);
    auto tok = make(std::move(spec));  // 259 <, 260 >, 261 b, 262 o, 263 \n, 264 <bo>, 265 \n\n
    EXPECT_EQ(tok.encode("<bo>\n\n\n", false, true), (Ids{264, 265, 263}));
    EXPECT_EQ(tok.encode("<bo>\n\n\n", false, false), (Ids{259, 261, 262, 260, 265, 263}));
    EXPECT_EQ(tok.decode(Ids{264, 265}, /*skip_special=*/true), "\n\n");
}

TEST(SentencePieceBpe, BosAddedByDefaultFlag) {
    auto spec = spm_spec({{"a", -1}});
    spec.add_bos = true;
    auto tok = make(std::move(spec));
    EXPECT_EQ(tok.encode("a", true), (Ids{1, 259}));
    EXPECT_EQ(tok.decode(Ids{1, 259}, true), "a");
    EXPECT_EQ(tok.decode(Ids{1, 259}, false), "<s>a");
}

TEST(SentencePieceBpe, RejectsMissingScoresAndBadByteTokens) {
    auto spec = spm_spec({{"a", -1}});
    spec.scores.pop_back();
    auto r = engine::Tokenizer::create(spec);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("score"), std::string::npos) << r.error().message;
    auto bad_byte = spm_spec({{"a", -1}});
    bad_byte.tokens[3] = "<0xZZ>";
    auto r2 = engine::Tokenizer::create(bad_byte);
    ASSERT_FALSE(r2.ok());
    EXPECT_NE(r2.error().message.find("<0xZZ>"), std::string::npos) << r2.error().message;
}

TEST(Utf8StreamDecoder, HoldsBackSplitCharacters) {
    auto tok = make(spm_spec({{"a", -1}}));
    engine::Utf8StreamDecoder dec(tok);
    // € = E2 82 AC arrives one byte per token.
    EXPECT_EQ(dec.push(byte_id(0xE2)), "");
    EXPECT_EQ(dec.push(byte_id(0x82)), "");
    EXPECT_EQ(dec.push(byte_id(0xAC)), "\xE2\x82\xAC");
    EXPECT_EQ(dec.push(259), "a");
    // 😀 = F0 9F 98 80, then plain text in the same call.
    EXPECT_EQ(dec.push(byte_id(0xF0)), "");
    EXPECT_EQ(dec.push(byte_id(0x9F)), "");
    EXPECT_EQ(dec.push(byte_id(0x98)), "");
    EXPECT_EQ(dec.push(byte_id(0x80)), "\xF0\x9F\x98\x80");
    EXPECT_EQ(dec.flush(), "");
}

TEST(Utf8StreamDecoder, InvalidBytesBecomeReplacementCharacters) {
    auto tok = make(spm_spec({{"a", -1}}));
    engine::Utf8StreamDecoder dec(tok);
    EXPECT_EQ(dec.push(byte_id(0xFF)), kReplacement);  // can never start a character: at once
    EXPECT_EQ(dec.push(byte_id(0xE2)), "");
    EXPECT_EQ(dec.push(259), kReplacement + "a");  // E2 followed by 'a' is broken for sure
    EXPECT_EQ(dec.push(byte_id(0xC3)), "");
    EXPECT_EQ(dec.flush(), kReplacement);  // unfinished at the end
    EXPECT_EQ(dec.push(byte_id(0xED)), "");
    EXPECT_EQ(dec.push(byte_id(0xA0)), kReplacement + kReplacement);  // ED A0: a surrogate, never valid
    EXPECT_EQ(dec.flush(), "");
}

TEST(Utf8StreamDecoder, SkipsControlTokensWhenAsked) {
    auto tok = make(spm_spec({{"a", -1}}));
    engine::Utf8StreamDecoder skip(tok, /*skip_special=*/true);
    EXPECT_EQ(skip.push(1), "");
    EXPECT_EQ(skip.push(259), "a");
    engine::Utf8StreamDecoder keep(tok);
    EXPECT_EQ(keep.push(2), "</s>");
}

TEST(TokenizerSpecFromGguf, MapsTokenizerMetadata) {
    engine::GgufWriter w;
    w.set_string("tokenizer.ggml.model", "gpt2");
    w.set_string("tokenizer.ggml.pre", "qwen2");
    w.set_string_array("tokenizer.ggml.tokens", {"a", "b", "ab", "<|eot|>"});
    w.set_i32_array("tokenizer.ggml.token_type", {1, 1, 1, 3});
    w.set_string_array("tokenizer.ggml.merges", {"a b"});
    w.set_u32("tokenizer.ggml.eos_token_id", 3);
    w.set_bool("tokenizer.ggml.add_bos_token", false);
    const auto bytes = w.to_bytes();
    auto file = engine::GgufFile::parse(bytes.data(), bytes.size());
    ASSERT_TRUE(file.ok()) << file.error().message;
    auto spec = engine::tokenizer_spec_from_gguf(*file);
    ASSERT_TRUE(spec.ok()) << spec.error().message;
    EXPECT_EQ(spec->kind, engine::TokenizerKind::byte_level_bpe);
    EXPECT_EQ(spec->pre, "qwen2");
    EXPECT_EQ(spec->tokens, (std::vector<std::string>{"a", "b", "ab", "<|eot|>"}));
    EXPECT_EQ(spec->types[3], TokenType::control);
    EXPECT_EQ(spec->merges, (std::vector<std::string>{"a b"}));
    EXPECT_EQ(spec->eos_id, 3);
    EXPECT_EQ(spec->bos_id, -1);
    EXPECT_EQ(spec->unk_id, -1);
    EXPECT_FALSE(spec->add_bos);
    EXPECT_FALSE(spec->add_space_prefix);
    auto tok = engine::Tokenizer::create(std::move(spec.value()));
    ASSERT_TRUE(tok.ok()) << tok.error().message;
    EXPECT_EQ(tok->encode("ab<|eot|>", false, true), (Ids{2, 3}));
}

TEST(TokenizerSpecFromGguf, SentencePieceDefaultsAndErrors) {
    engine::GgufWriter w;
    w.set_string("tokenizer.ggml.model", "llama");
    w.set_string_array("tokenizer.ggml.tokens", {"<unk>", "<s>", "a"});
    w.set_f32_array("tokenizer.ggml.scores", {0, 0, -1});
    w.set_u32("tokenizer.ggml.bos_token_id", 1);
    auto bytes = w.to_bytes();
    auto file = engine::GgufFile::parse(bytes.data(), bytes.size());
    ASSERT_TRUE(file.ok());
    auto spec = engine::tokenizer_spec_from_gguf(*file);
    ASSERT_TRUE(spec.ok()) << spec.error().message;
    EXPECT_EQ(spec->kind, engine::TokenizerKind::sentencepiece_bpe);
    EXPECT_TRUE(spec->add_bos);           // llama.cpp's default for SentencePiece vocabularies
    EXPECT_TRUE(spec->add_space_prefix);  // likewise
    EXPECT_EQ(spec->scores, (std::vector<float>{0, 0, -1}));

    engine::GgufWriter bad;
    bad.set_string("tokenizer.ggml.model", "bert");
    bad.set_string_array("tokenizer.ggml.tokens", {"a"});
    bytes = bad.to_bytes();
    file = engine::GgufFile::parse(bytes.data(), bytes.size());
    ASSERT_TRUE(file.ok());
    auto err = engine::tokenizer_spec_from_gguf(*file);
    ASSERT_FALSE(err.ok());
    EXPECT_NE(err.error().message.find("'bert'"), std::string::npos) << err.error().message;

    engine::GgufWriter none;
    none.set_string("general.architecture", "llama");
    bytes = none.to_bytes();
    file = engine::GgufFile::parse(bytes.data(), bytes.size());
    ASSERT_TRUE(file.ok());
    err = engine::tokenizer_spec_from_gguf(*file);
    ASSERT_FALSE(err.ok());
    EXPECT_NE(err.error().message.find("tokenizer.ggml.model"), std::string::npos) << err.error().message;
}
