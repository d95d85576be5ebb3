#include "workspace/exporter.h"

#include <map>
#include <nlohmann/json.hpp>

#include "workspace/trace_json.h"

namespace crucible {

using nlohmann::json;

std::optional<ExportFormat> exportFormatFromName(const std::string& name) {
    if (name == "sft" || name == "openai") return ExportFormat::Sft;
    if (name == "preference" || name == "dpo") return ExportFormat::Preference;
    if (name == "rft") return ExportFormat::Rft;
    if (name == "crucible" || name == "canonical") return ExportFormat::Canonical;
    return std::nullopt;
}

namespace {

// A message in OpenAI chat shape.
json openAiMessage(const Message& m) {
    json out = {{"role", m.role}};
    if (!m.parts.empty()) {
        json parts = json::array();
        for (const ContentPart& p : m.parts) {
            if (!p.raw.is_null())
                parts.push_back(p.raw);
            else
                parts.push_back({{"type", p.type}, {"text", p.text}});
        }
        out["content"] = std::move(parts);
    } else if (!m.content.empty() || m.toolCalls.empty()) {
        out["content"] = m.content;
    }
    if (!m.toolCalls.empty()) {
        json calls = json::array();
        for (const ToolCall& c : m.toolCalls)
            calls.push_back({{"id", c.id},
                             {"type", "function"},
                             {"function", {{"name", c.name}, {"arguments", c.arguments}}}});
        out["tool_calls"] = std::move(calls);
    }
    if (!m.toolCallId.empty()) out["tool_call_id"] = m.toolCallId;
    if (!m.name.empty()) out["name"] = m.name;
    return out;
}

bool endsWithAssistant(const Trace& t) {
    return !t.messages.empty() && t.messages.back().role == "assistant";
}

// The conversation before the final assistant answer.
json promptMessages(const Trace& t) {
    json out = json::array();
    const size_t n = endsWithAssistant(t) ? t.messages.size() - 1 : t.messages.size();
    for (size_t i = 0; i < n; ++i) out.push_back(openAiMessage(t.messages[i]));
    return out;
}

json withTools(json object, const Trace& t) {
    if (t.tools.is_array() && !t.tools.empty()) object["tools"] = t.tools;
    return object;
}

json assistantText(const std::string& text) {
    return json::array({{{"role", "assistant"}, {"content", text}}});
}

std::string dumpLine(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n"; }

}  // namespace

engine::Result<ExportSummary> Exporter::exportTo(const SearchQuery& selection, ExportFormat format,
                                                 std::ostream& out) {
    auto ids = m_store.searchIds(selection);
    if (!ids) return ids.error();
    ExportSummary summary;
    summary.traces = static_cast<int64_t>(ids->size());
    // Good/bad pairs are matched by prompt after the pass over the selection.
    struct Answers {
        json prompt;
        json tools;
        std::vector<json> good, bad;
    };
    std::map<std::string, Answers> byPrompt;

    for (int64_t id : *ids) {
        auto stored = m_store.getTrace(id);
        if (!stored) return stored.error();
        if (!stored->has_value()) continue;
        const Trace& t = (*stored)->trace;
        const std::optional<Label>& label = (*stored)->label;
        const bool corrected = label && label->correctedAnswer && endsWithAssistant(t);
        int64_t lines = 0;
        switch (format) {
            case ExportFormat::Canonical: {
                auto history = m_store.labelHistory(id);
                if (!history) return history.error();
                out << canonicalLine(t, *history) << '\n';
                ++lines;
                break;
            }
            case ExportFormat::Sft: {
                if (label && label->verdict == "bad" && !corrected) break;
                json messages = json::array();
                for (const Message& m : t.messages) messages.push_back(openAiMessage(m));
                if (corrected)
                    messages.back() = {{"role", "assistant"}, {"content", *label->correctedAnswer}};
                out << dumpLine(withTools(json::object({{"messages", std::move(messages)}}), t));
                ++lines;
                break;
            }
            case ExportFormat::Rft: {
                json reference;
                if (!t.groundTruth.is_null())
                    reference = t.groundTruth;
                else if (corrected)
                    reference = *label->correctedAnswer;
                else if (label && label->verdict == "good" && endsWithAssistant(t))
                    reference = t.messages.back().content;
                if (reference.is_null()) break;
                out << dumpLine(withTools(
                    json::object({{"messages", promptMessages(t)}, {"reference_answer", reference}}), t));
                ++lines;
                break;
            }
            case ExportFormat::Preference: {
                if (!endsWithAssistant(t)) break;
                const json prompt = promptMessages(t);
                const json original = json::array({openAiMessage(t.messages.back())});
                auto pair = [&](const json& preferred, const json& rejected) {
                    out << dumpLine(
                        json::object({{"input", withTools(json::object({{"messages", prompt}}), t)},
                                      {"preferred_output", preferred},
                                      {"non_preferred_output", rejected}}));
                    ++lines;
                };
                if (corrected) pair(assistantText(*label->correctedAnswer), original);
                if (t.rejected) pair(original, json::array({openAiMessage(*t.rejected)}));
                if (label && (label->verdict == "good" || label->verdict == "bad")) {
                    Answers& a = byPrompt[prompt.dump()];
                    a.prompt = prompt;
                    a.tools = t.tools;
                    (label->verdict == "good" ? a.good : a.bad).push_back(original);
                }
                break;
            }
        }
        summary.written += lines;
        if (lines == 0 && format != ExportFormat::Preference) ++summary.skipped;
    }
    if (format == ExportFormat::Preference) {
        for (const auto& [key, a] : byPrompt) {
            for (const json& good : a.good) {
                for (const json& bad : a.bad) {
                    if (good == bad) continue;
                    json input = json::object({{"messages", a.prompt}});
                    if (a.tools.is_array() && !a.tools.empty()) input["tools"] = a.tools;
                    out << dumpLine(json::object(
                        {{"input", input}, {"preferred_output", good}, {"non_preferred_output", bad}}));
                    ++summary.written;
                }
            }
        }
    }
    if (!out) return engine::make_error("[Exporter] writing the output failed");
    return summary;
}

}  // namespace crucible
