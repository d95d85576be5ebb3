// libFuzzer target: tokenizers read arbitrary user text. Encoding any bytes
// (special-token parsing on and off) must give in-range ids, decoding them must
// give the text back for byte-level BPE, and streaming decode must emit only
// valid UTF-8. Tokenizers come from the committed tokenizer.json fixtures.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "engine/json.h"
#include "engine/tokenizer.h"

namespace {

std::optional<engine::Tokenizer> load(const char* family) {
    std::string dir = std::string(CRUCIBLE_FUZZ_FIXTURES) + "/" + family + "/";
    auto read = [&](const char* name) {
        std::ifstream f(dir + name);
        std::stringstream s;
        s << f.rdbuf();
        return engine::json::parse(s.str());
    };
    auto tokenizer_json = read("tokenizer.json");
    auto config = read("tokenizer_config.json");
    if (!tokenizer_json.ok() || !config.ok()) std::abort();
    auto spec = engine::tokenizer_spec_from_hf(*tokenizer_json, *config);
    if (!spec.ok()) std::abort();
    auto tokenizer = engine::Tokenizer::create(std::move(*spec));
    if (!tokenizer.ok()) std::abort();
    return std::move(*tokenizer);
}

bool valid_utf8(const std::string& s) {
    size_t i = 0;
    while (i < s.size()) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (n == 0 || i + n > s.size()) return false;
        for (size_t k = 1; k < n; ++k)
            if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
        i += n;
    }
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const std::vector<engine::Tokenizer> tokenizers = [] {
        std::vector<engine::Tokenizer> v;
        for (const char* family : {"smollm", "llama3", "qwen2", "spm_gemma"}) v.push_back(*load(family));
        return v;
    }();
    std::string_view text(reinterpret_cast<const char*>(data), size);
    for (const auto& tok : tokenizers) {
        for (bool special : {false, true}) {
            std::vector<int32_t> ids = tok.encode(text, /*add_special=*/false, special);
            for (int32_t id : ids)
                if (id < 0 || id >= tok.vocab_size()) __builtin_trap();
            std::string decoded = tok.decode(ids);
            // Byte-level BPE is lossless on bytes its vocabulary can spell; the fixtures cover all 256.
            if (tok.kind() == engine::TokenizerKind::byte_level_bpe && !special && decoded != text)
                __builtin_trap();
            engine::Utf8StreamDecoder stream(tok);
            std::string streamed;
            for (int32_t id : ids) {
                std::string piece = stream.push(id);
                if (!valid_utf8(piece)) __builtin_trap();
                streamed += piece;
            }
            std::string tail = stream.flush();
            if (!valid_utf8(tail)) __builtin_trap();
        }
    }
    return 0;
}
