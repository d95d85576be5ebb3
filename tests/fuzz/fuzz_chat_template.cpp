// libFuzzer target: chat templates come from model files, i.e. from strangers.
// Parsing and rendering any input must end in output or an Error, within the
// interpreter's limits, never a crash or a hang.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/chat_template.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    engine::jinja::Limits limits;
    limits.max_loop_iterations = 20000;  // keep each input fast
    limits.max_output_bytes = 1 << 20;
    limits.max_range = 1000;
    auto parsed =
        engine::ChatTemplate::parse(std::string_view(reinterpret_cast<const char*>(data), size), limits);
    if (!parsed.ok()) return 0;
    engine::ChatRenderOptions options;
    options.add_generation_prompt = true;
    options.bos_token = "<s>";
    options.eos_token = "</s>";
    (void)parsed->render_json(
        R"([{"role":"system","content":"Be brief."},{"role":"user","content":"Hi 👋"},)"
        R"({"role":"assistant","content":"Hello","tool_calls":[{"type":"function","function":{"name":"f","arguments":{"x":1}}}]},)"
        R"({"role":"tool","content":"42","tool_call_id":"c1"},{"role":"user","content":[{"type":"text","text":"more"}]}])",
        R"([{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}])", options);
    return 0;
}
