// libFuzzer target: JSON Schema compilation (schemas are user files) and the
// recognizer's promises on whatever compiles: a walk that only takes accepted
// bytes never reaches a dead end, min_bytes_to_complete() is exact (some byte
// lowers it by one), and the finished text parses as JSON.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/json.h"
#include "engine/json_schema_constraint.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    namespace json = engine::json;
    json::ParseOptions options;
    options.max_depth = 64;  // keep ASan stack use per input small
    auto schema = json::parse(std::string_view(reinterpret_cast<const char*>(data), size), options);
    if (!schema.ok()) return 0;
    auto grammar = engine::JsonGrammar::from_schema(*schema);
    if (!grammar.ok()) return 0;
    engine::JsonMatcher m(*grammar);
    // A walk picked by a hash of the input: a few arbitrary bytes, then the shortest way to close.
    uint64_t h = 0x9E3779B97F4A7C15ull ^ size;
    for (size_t i = 0; i < size; ++i) h = (h ^ data[i]) * 0x100000001B3ull;
    std::string text;
    for (int step = 0; !m.must_end(); ++step) {
        const int64_t need = m.min_bytes_to_complete();
        if (need > 400 - step) return 0;  // a long shortest value: not worth walking here
        if (m.complete() && h % 3 == 0) break;
        int chosen = -1, n_allowed = 0;
        for (int c = 0; c < 256; ++c) {
            engine::JsonMatcher probe = m;
            if (!probe.feed(std::string(1, static_cast<char>(c)))) continue;
            ++n_allowed;
            const int64_t after = probe.min_bytes_to_complete();
            if (after < need - 1) __builtin_trap();  // the completion cost was overestimated
            const bool closer = after == need - 1;
            if (step < 12 ? (h >> 7) % static_cast<uint64_t>(n_allowed) == 0 : closer && chosen < 0)
                chosen = c;
        }
        if (n_allowed == 0) __builtin_trap();          // a dead end
        if (chosen < 0 && need > 0) __builtin_trap();  // nothing lowers the completion cost
        if (chosen < 0) break;
        if (!m.feed(std::string(1, static_cast<char>(chosen)))) __builtin_trap();
        text.push_back(static_cast<char>(chosen));
        h = h * 6364136223846793005ull + 1442695040888963407ull;
    }
    if (!m.complete() || !grammar->accepts(text)) __builtin_trap();
    json::ParseOptions lenient = options;
    lenient.allow_duplicate_keys = true;  // free-form objects do not prevent them
    if (!json::parse(text, lenient).ok()) __builtin_trap();
    return 0;
}
