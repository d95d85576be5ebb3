// libFuzzer target: JSON parsing, plus the round trip dump -> parse, which
// must reproduce the same value (ensure_ascii output only has to parse: it
// replaces invalid UTF-8 bytes by U+FFFD, by design, so two keys that differ
// only in invalid bytes may become equal there).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    namespace json = engine::json;
    json::ParseOptions options;
    options.max_depth = 64;  // keep ASan stack use per input small
    auto value = json::parse(std::string_view(reinterpret_cast<const char*>(data), size), options);
    if (!value.ok()) return 0;
    json::DumpOptions styles[3];
    styles[1].style = json::DumpOptions::Style::compact;
    styles[2].ensure_ascii = true;
    styles[2].indent = 1;
    json::ParseOptions lenient = options;
    lenient.allow_duplicate_keys = true;
    for (const auto& style : styles) {
        auto again = json::parse(json::dump(*value, style), style.ensure_ascii ? lenient : options);
        if (!again.ok()) __builtin_trap();
        if (!style.ensure_ascii && !(*again == *value)) __builtin_trap();
    }
    return 0;
}
