// Streaming detokenization: emits only complete UTF-8 characters.
#include "engine/tokenizer.h"
#include "tokenizer/utf8.h"

namespace engine {

Utf8StreamDecoder::Utf8StreamDecoder(const Tokenizer& tokenizer, bool skip_special)
    : tokenizer_(&tokenizer), skip_special_(skip_special) {}

std::string Utf8StreamDecoder::push(int32_t id) {
    if (skip_special_ && tokenizer_->is_control(id)) return {};
    std::string bytes = tokenizer_->token_bytes(id);
    // Same rule as Tokenizer::decode: the space SentencePiece prefixed to the text is not output.
    if (first_ && !bytes.empty() && bytes[0] == ' ' &&
        tokenizer_->kind() == TokenizerKind::sentencepiece_bpe && tokenizer_->add_space_prefix()) {
        bytes.erase(0, 1);
    }
    first_ = false;
    pending_ += bytes;
    std::string out;
    const size_t used = utf8::sanitize(pending_, /*final=*/false, out);
    pending_.erase(0, used);
    return out;
}

std::string Utf8StreamDecoder::flush() {
    std::string out;
    utf8::sanitize(pending_, /*final=*/true, out);
    pending_.clear();
    first_ = true;
    return out;
}

void Utf8StreamDecoder::reset() {
    pending_.clear();
    first_ = true;
}

}  // namespace engine
