#include "finetune/sft_data.h"

#include <string>

namespace finetune {

engine::Result<SftExample> build_sft_example(const engine::ModelBundle& bundle,
                                             const std::vector<SftMessage>& messages, int64_t max_tokens) {
    std::vector<engine::ChatMessage> plain;
    plain.reserve(messages.size());
    for (const SftMessage& m : messages) plain.push_back(m.message);

    // Text segments in order, each flagged trainable or not: the rendering up
    // to an assistant turn's generation prompt, then the turn itself.
    SftExample ex;
    std::string done;  // text already tokenized
    const engine::Tokenizer& tok = bundle.tokenizer();
    auto append = [&](const std::string& text, bool train) -> engine::Status {
        if (text.compare(0, done.size(), done) != 0)
            return engine::make_error(
                "[sft] the chat template does not render this conversation prefix by prefix (a later render "
                "changes earlier text), so assistant tokens cannot be located");
        const std::string piece = text.substr(done.size());
        const std::vector<int32_t> ids = tok.encode(piece, /*add_special=*/false, /*parse_special=*/true);
        for (int32_t id : ids) {
            if (train) ex.targets.push_back(static_cast<int64_t>(ex.tokens.size()));
            ex.tokens.push_back(id);
        }
        done = text;
        return {};
    };

    bool any = false;
    for (size_t i = 0; i < messages.size(); ++i) {
        if (messages[i].message.role != "assistant") continue;
        const std::vector<engine::ChatMessage> before(plain.begin(),
                                                      plain.begin() + static_cast<std::ptrdiff_t>(i));
        const std::vector<engine::ChatMessage> through(plain.begin(),
                                                       plain.begin() + static_cast<std::ptrdiff_t>(i + 1));
        auto prompt = bundle.render_chat(before, /*add_generation_prompt=*/true);
        if (!prompt) return prompt.error();
        auto full = bundle.render_chat(through, /*add_generation_prompt=*/false);
        if (!full) return full.error();
        if (auto st = append(*prompt, false); !st) return st.error();
        const bool train = messages[i].weight > 0.0f;
        any = any || train;
        if (auto st = append(*full, train); !st) return st.error();
    }
    if (!any) return engine::make_error("[sft] the conversation has no assistant turn to train on");
    auto whole = bundle.render_chat(plain, false);
    if (!whole) return whole.error();
    if (auto st = append(*whole, false); !st) return st.error();  // anything after the last assistant turn
    // Position 0 has no prediction (nothing precedes it).
    if (!ex.targets.empty() && ex.targets.front() == 0) ex.targets.erase(ex.targets.begin());
    if (static_cast<int64_t>(ex.tokens.size()) > max_tokens)
        return engine::make_error("[sft] the conversation has " + std::to_string(ex.tokens.size()) +
                                  " tokens, more than the maximum sequence length " +
                                  std::to_string(max_tokens));
    return ex;
}

}  // namespace finetune
