// Turning a conversation into a supervised fine-tuning example: the model's
// chat template renders it, and only the assistant turns' tokens (their text
// and the end-of-turn marker the template writes) carry loss.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/chat_template.h"
#include "engine/model_bundle.h"
#include "engine/result.h"

namespace finetune {

struct SftMessage {
    engine::ChatMessage message;
    float weight = 1.0f;  // assistant turns: 0 excludes the turn from the loss (OpenAI's "weight")
};

struct SftExample {
    std::vector<int32_t> tokens;   // the rendered conversation
    std::vector<int64_t> targets;  // ascending positions whose token is trained on (assistant tokens)
};

// Renders prefix by prefix so that each assistant turn's tokens are exactly
// those the template adds for it after the generation prompt. Errors: no
// assistant turn with weight > 0, a template that does not render prefixes
// consistently (a later render does not extend the earlier one), or an
// example longer than max_tokens (not truncated silently).
engine::Result<SftExample> build_sft_example(const engine::ModelBundle& bundle,
                                             const std::vector<SftMessage>& messages, int64_t max_tokens);

}  // namespace finetune
