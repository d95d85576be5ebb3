// libFuzzer target: safetensors header parsing and tensor views.
#include <cstddef>
#include <cstdint>

#include "engine/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto file = engine::SafetensorsFile::parse(data, size, "fuzz");
    if (!file.ok()) return 0;
    volatile uint8_t sink = 0;
    for (const auto& t : file->tensors()) {
        if (t.view.n_bytes() != t.n_bytes) __builtin_trap();  // the view must agree with the header
        if (t.n_bytes) sink = sink ^ t.view.data[0] ^ t.view.data[t.n_bytes - 1];
        (void)file->find(t.name);
    }
    return 0;
}
