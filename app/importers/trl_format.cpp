// TRL dataset rows (huggingface.co docs/trl/dataset_formats), each in the
// "standard" flavour (strings) or the "conversational" one (message lists):
//   {prompt}                       prompt only (online methods such as GRPO)
//   {prompt, completion}           prompt-completion
//   {prompt, chosen, rejected}     preference with an explicit prompt
//   {chosen, rejected}             preference with an implicit prompt (the
//                                  conversations share it as their prefix)
//   {prompt, completion, label}    unpaired preference (KTO): label is a bool,
//                                  kept as metadata["label"]
// Language-modelling rows {"messages"} are OpenAI chat rows (openai_chat).
#include "importers/importer_common.h"

namespace crucible::importers {

namespace {

// A prompt/completion/chosen/rejected value: a string becomes one message in
// `role`; a list is decoded as OpenAI messages.
bool decodeTurns(const Json& value, const char* key, const char* role, std::vector<Message>& out,
                 Errors& errors, Json& metadata) {
    if (value.is_string()) {
        Message m;
        m.role = role;
        m.content = value.get<std::string>();
        out.push_back(std::move(m));
        return true;
    }
    if (!value.is_array()) {
        errors.push_back(std::string(key) + " is " + value.type_name() +
                         ", not a string or a list of messages");
        return false;
    }
    if (value.empty()) {
        errors.push_back(std::string(key) + " is an empty list");
        return false;
    }
    const size_t before = errors.size();
    decodeOpenAiMessages(value, key, out, errors, metadata);
    return errors.size() == before;
}

bool sameMessage(const Message& a, const Message& b) {
    return a.role == b.role && a.content == b.content && a.toolCalls.size() == b.toolCalls.size() &&
           a.toolCallId == b.toolCallId;
}

void finish(Trace&& trace, Errors&& errors, ParseOutcome& out) {
    if (errors.empty()) {
        out.traces.push_back(std::move(trace));
    } else {
        out.errors.insert(out.errors.end(), errors.begin(), errors.end());
    }
}

}  // namespace

void parseTrl(const Json& record, std::string_view raw, ParseOutcome& out) {
    Trace trace = makeTrace("trl", raw);
    Errors errors;
    Json ignored = Json::object();
    const bool hasPrompt = record.contains("prompt");
    const bool preference = record.contains("chosen") || record.contains("rejected");
    if (preference && !(record.contains("chosen") && record.contains("rejected"))) {
        errors.push_back(std::string(record.contains("chosen") ? "rejected" : "chosen") +
                         " missing: a preference row needs both chosen and rejected");
        finish(std::move(trace), std::move(errors), out);
        return;
    }
    if (!hasPrompt && !preference) {
        errors.push_back("prompt missing (record has " + describeKeys(record) + ")");
        finish(std::move(trace), std::move(errors), out);
        return;
    }
    if (hasPrompt) decodeTurns(record["prompt"], "prompt", "user", trace.messages, errors, trace.metadata);

    if (preference) {
        std::vector<Message> chosen, rejected;
        decodeTurns(record["chosen"], "chosen", "assistant", chosen, errors, trace.metadata);
        decodeTurns(record["rejected"], "rejected", "assistant", rejected, errors, ignored);
        if (!hasPrompt && errors.empty()) {
            // Implicit prompt: the longest common prefix of the two conversations.
            size_t shared = 0;
            while (shared + 1 < chosen.size() && shared + 1 < rejected.size() &&
                   sameMessage(chosen[shared], rejected[shared]))
                ++shared;
            if (shared == 0 && (chosen.size() > 1 || rejected.size() > 1)) {
                errors.push_back(
                    "chosen and rejected share no prompt (implicit-prompt rows must start alike)");
            } else {
                rejected.erase(rejected.begin(), rejected.begin() + static_cast<std::ptrdiff_t>(shared));
            }
        }
        for (auto& m : chosen) trace.messages.push_back(std::move(m));
        // A Trace holds one rejected answer: the last message; a longer
        // rejected continuation stays complete in raw and in metadata.
        if (!rejected.empty()) {
            if (rejected.size() > 1) trace.metadata["rejected_turns"] = static_cast<int64_t>(rejected.size());
            trace.rejected = std::move(rejected.back());
        }
    } else if (record.contains("completion")) {
        decodeTurns(record["completion"], "completion", "assistant", trace.messages, errors, trace.metadata);
    }
    if (const auto label = record.find("label"); label != record.end()) {
        if (!label->is_boolean()) {
            errors.push_back(std::string("label is ") + label->type_name() +
                             ", not a bool (unpaired preference rows mark completions true/false)");
        } else if (!record.contains("completion")) {
            errors.push_back(
                "label without completion: an unpaired preference row needs prompt and completion");
        } else {
            trace.metadata["label"] = *label;
        }
    }
    if (record.contains("tools")) trace.tools = normalizeTools(record["tools"]);
    keepUnknownKeys(record, {"prompt", "completion", "chosen", "rejected", "label", "tools"}, trace.metadata);
    finish(std::move(trace), std::move(errors), out);
}

}  // namespace crucible::importers
