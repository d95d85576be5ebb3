// libFuzzer target: GGUF header parsing. Whatever parses must describe memory
// inside the input (ASan traps any read outside it).
#include <cstddef>
#include <cstdint>

#include "engine/gguf.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto file = engine::GgufFile::parse(data, size, "fuzz");
    if (!file.ok()) return 0;
    volatile uint8_t sink = 0;
    for (const auto& t : file->tensors()) {
        size_t n = t.view.n_bytes();
        if (n) sink = sink ^ t.view.data[0] ^ t.view.data[n - 1];
    }
    for (const auto& [key, value] : file->metadata()) {
        (void)file->get_string_array(key);
        (void)file->get_float_array(key);
        (void)file->get_int_array(key);
        (void)file->get_float(key);
    }
    return 0;
}
