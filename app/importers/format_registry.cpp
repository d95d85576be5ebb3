// The registry of formats: ids, detection rules (from the keys a record has),
// and the dispatch behind parseRecord / parseDocument / detectFileFormat.
#include <algorithm>
#include <functional>

#include "importers/importer_common.h"

namespace crucible::importers {

namespace {

using RecordParser = void (*)(const Json&, std::string_view, ParseOutcome&);
using KeyTest = std::function<bool(std::string_view)>;

void parseOtlpRecord(const Json& record, std::string_view, ParseOutcome& out) { parseOtlp(record, out); }
void parseOtlpLogsRecord(const Json& record, std::string_view, ParseOutcome& out) {
    parseOtlpLogs(record, out);
}

struct FormatEntry {
    FormatInfo info;
    RecordParser parser;
    // Detection from keys only (values are consulted by detectFromRecord for
    // the OpenAI family, where keys alone cannot tell SFT from RFT).
    bool (*matches)(const KeyTest& has);
    bool openAiFamily;
};

const std::vector<FormatEntry>& registry() {
    // Order matters: the first match wins, most specific shapes first.
    static const std::vector<FormatEntry> entries = {
        {{"crucible", "Crucible canonical JSONL (the lossless export, with labels)", true},
         parseCanonical,
         [](const KeyTest& has) { return has("crucible_trace"); },
         false},
        {{"otlp_genai", "OTLP JSON traces (GenAI semconv, OpenLLMetry, OpenInference)", true},
         parseOtlpRecord,
         [](const KeyTest& has) { return has("resourceSpans"); },
         false},
        {{"otlp_logs", "OTLP JSON logs with GenAI events (gen_ai.*.message, gen_ai.choice)", true},
         parseOtlpLogsRecord,
         [](const KeyTest& has) { return has("resourceLogs"); },
         false},
        {{"openai_dpo", "OpenAI / Fireworks / Together preference (DPO) JSONL", true},
         parseOpenAiDpo,
         [](const KeyTest& has) {
             return has("input") && (has("preferred_output") || has("non_preferred_output"));
         },
         false},
        {{"sharegpt", "ShareGPT conversations (from/value)", true},
         parseShareGpt,
         [](const KeyTest& has) { return has("conversations"); },
         false},
        {{"alpaca", "Alpaca instruction/input/output", true},
         parseAlpaca,
         [](const KeyTest& has) { return has("instruction") && (has("output") || has("chosen")); },
         false},
        {{"langsmith", "LangSmith runs (JSON / JSONL)", true},
         parseLangSmith,
         [](const KeyTest& has) { return has("run_type") || (has("dotted_order") && has("inputs")); },
         false},
        {{"langfuse", "Langfuse traces and observations (JSON / JSONL)", true},
         parseLangfuse,
         [](const KeyTest& has) {
             return has("observations") || (has("traceId") && (has("type") || has("startTime"))) ||
                    (has("htmlPath") && has("input"));
         },
         false},
        {{"openai_responses", "OpenAI Responses API logs (object: response, input/output items)", true},
         parseOpenAiResponses,
         [](const KeyTest& has) {
             return has("output") && (has("input") || has("instructions") || has("object"));
         },
         true},
        {{"openai_chat_log", "OpenAI Chat Completions request/response logs", true},
         parseOpenAiChatLog,
         [](const KeyTest& has) {
             return (has("request") && has("response")) || has("choices") ||
                    (has("custom_id") && has("body")) || (has("custom_id") && has("response")) ||
                    (has("messages") && has("model"));
         },
         true},
        {{"openai_rft", "OpenAI reinforcement fine-tuning / Fireworks eval-protocol rows", true},
         parseOpenAiRft,
         [](const KeyTest& has) {
             return has("messages") &&
                    (has("ground_truth") || has("reference_answer") || has("evaluation_result") ||
                     has("input_metadata") || has("execution_metadata"));
         },
         true},
        {{"openai_chat", "OpenAI chat fine-tuning JSONL (messages)", true},
         parseOpenAiChat,
         [](const KeyTest& has) { return has("messages"); },
         true},
        {{"trl", "TRL rows: prompt/completion, prompt/chosen/rejected, unpaired preference (label)", true},
         parseTrl,
         [](const KeyTest& has) { return has("prompt") || (has("chosen") && has("rejected")); },
         false},
    };
    return entries;
}

const FormatEntry* findEntry(std::string_view id) {
    for (const auto& e : registry()) {
        if (e.info.id == id) return &e;
    }
    return nullptr;
}

std::string detectFromKeys(const KeyTest& has) {
    for (const auto& e : registry()) {
        if (e.matches(has)) return e.info.id;
    }
    return {};
}

std::string detectFromRecord(const Json& record) {
    if (!record.is_object()) return {};
    std::string id = detectFromKeys([&](std::string_view key) { return record.contains(key); });
    // Responses API records share keys with chat logs ({request, response},
    // Batch lines) and with generic {input, output} pairs: values decide.
    if (id.empty() || id == "openai_chat_log" || id == "openai_responses") {
        if (looksLikeResponsesRecord(record)) return "openai_responses";
        if (id == "openai_responses") return {};
    }
    if (id == "openai_chat" || id == "openai_chat_log") {
        const std::string object = record.value("object", std::string());
        if (object.rfind("chat.completion", 0) == 0) return "openai_chat_log";
    }
    if (id == "openai_chat") {
        // A conversation that ends on a user turn is a prompt awaiting the
        // model: an RFT row (extra keys are grader data).
        const Json& messages = record["messages"];
        if (messages.is_array() && !messages.empty() && messages.back().is_object() &&
            messages.back().value("role", std::string()) == "user")
            return "openai_rft";
    }
    return id;
}

std::string stripJsonPrefix(const std::string& format) {
    return format.rfind("json:", 0) == 0 ? format.substr(5) : format;
}

bool isCsv(std::string_view format) { return format == "csv" || format.rfind("csv:", 0) == 0; }

// Parses one JSON record (already parsed) in `format` ("auto" = detect).
void dispatchRecord(const std::string& format, const Json& record, std::string_view raw, ParseOutcome& out) {
    const std::string detected = detectFromRecord(record);
    const FormatEntry* entry = nullptr;
    if (format == "auto" || format.empty()) {
        entry = findEntry(detected);
        if (!entry) {
            out.errors.push_back("record matches no known format (" + describeKeys(record) + ")");
            return;
        }
    } else {
        entry = findEntry(format);
        if (!entry) {
            out.errors.push_back("unknown format '" + format + "'");
            return;
        }
        // Within the OpenAI family the exact shape is decided per record, so an
        // SFT file with the odd RFT row or a log file with bare requests works.
        const FormatEntry* refined = findEntry(detected);
        if (refined && refined->openAiFamily && entry->openAiFamily) entry = refined;
    }
    if (!record.is_object()) {
        out.errors.push_back("record is " + describeKeys(record));
        return;
    }
    entry->parser(record, raw, out);
}

// Finds the end of the first JSON value starting at `begin` (a '{' or '[').
// Returns npos when the value is not complete within `text`.
size_t endOfValue(std::string_view text, size_t begin, bool* sawNewline) {
    int depth = 0;
    bool inString = false;
    for (size_t i = begin; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '\n' && sawNewline) *sawNewline = true;
        if (inString) {
            if (c == '\\') {
                ++i;
            } else if (c == '"') {
                inString = false;
            }
            continue;
        }
        if (c == '"') {
            inString = true;
        } else if (c == '{' || c == '[') {
            ++depth;
        } else if (c == '}' || c == ']') {
            if (--depth == 0) return i + 1;
        }
    }
    return std::string_view::npos;
}

// Keys of the object starting at text[begin], read even when the object is
// cut off (a huge first record larger than the head).
std::vector<std::string> scanTopLevelKeys(std::string_view text, size_t begin) {
    std::vector<std::string> keys;
    int depth = 0;
    bool inString = false;
    std::string current;
    for (size_t i = begin; i < text.size(); ++i) {
        const char c = text[i];
        if (inString) {
            if (c == '\\') {
                ++i;
            } else if (c == '"') {
                inString = false;
                // A string at depth 1 followed by ':' is a key.
                size_t j = i + 1;
                while (j < text.size() && std::isspace(static_cast<unsigned char>(text[j]))) ++j;
                if (depth == 1 && j < text.size() && text[j] == ':') keys.push_back(current);
            } else {
                current += c;
            }
            continue;
        }
        if (c == '"') {
            inString = true;
            current.clear();
        } else if (c == '{' || c == '[') {
            ++depth;
        } else if (c == '}' || c == ']') {
            if (--depth == 0) break;
        }
    }
    return keys;
}

std::string detectFromText(std::string_view text, size_t begin) {
    const size_t end = endOfValue(text, begin, nullptr);
    if (end != std::string_view::npos) {
        std::string error;
        if (auto parsed = parseJson(text.substr(begin, end - begin), error)) return detectFromRecord(*parsed);
    }
    const auto keys = scanTopLevelKeys(text, begin);
    return detectFromKeys(
        [&](std::string_view key) { return std::find(keys.begin(), keys.end(), key) != keys.end(); });
}

// Moves one record's outcome into a document's, keeping labels[i] aligned
// with traces[i]. Traces that keep their own source get no document position.
void appendOutcome(ParseOutcome& into, ParseOutcome&& one, const std::function<void(Trace&)>& place) {
    if (!one.labels.empty() || !into.labels.empty()) {
        into.labels.resize(into.traces.size());
        one.labels.resize(one.traces.size());
        for (auto& l : one.labels) into.labels.push_back(std::move(l));
    }
    for (auto& t : one.traces) {
        if (!one.keepsSource) place(t);
        into.traces.push_back(std::move(t));
    }
    into.keepsSource = into.keepsSource || one.keepsSource;
}

std::string toLower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

bool endsWith(const std::string& s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

const std::vector<FormatInfo>& formats() {
    static const std::vector<FormatInfo> list = [] {
        std::vector<FormatInfo> out;
        for (const auto& e : registry()) out.push_back(e.info);
        out.push_back(
            {"csv", "CSV with a header row and a column mapping (csv:prompt=col,response=col,...)", true});
        out.push_back({"csv:langfuse", "Langfuse CSV export (traces or observations table)", true});
        return out;
    }();
    return list;
}

std::string detectRecordFormat(std::string_view record) {
    std::string error;
    const auto parsed = parseJson(record, error);
    return parsed ? detectFromRecord(*parsed) : std::string();
}

bool isLineFormat(const std::string& format) {
    if (format.rfind("json:", 0) == 0) return false;
    if (isCsv(format) || format == "auto") return true;
    const FormatEntry* entry = findEntry(format);
    return entry && entry->info.lineFormat;
}

std::string detectFileFormat(const std::string& fileName, std::string_view head) {
    try {
        std::string name = toLower(fileName);
        if (endsWith(name, ".gz")) name.resize(name.size() - 3);
        if (head.substr(0, 3) == "\xEF\xBB\xBF") head.remove_prefix(3);  // UTF-8 BOM
        if (endsWith(name, ".csv")) return csvFormatFromHead(head);
        const size_t first = head.find_first_not_of(" \t\r\n");
        if (first == std::string_view::npos) return {};
        if (head[first] == '[') {
            // A JSON array of records: detect from its first element.
            const size_t element = head.find_first_not_of(" \t\r\n", first + 1);
            if (element == std::string_view::npos || head[element] != '{') return {};
            const std::string id = detectFromText(head, element);
            return id.empty() ? std::string() : "json:" + id;
        }
        if (head[first] != '{') return {};
        const std::string id = detectFromText(head, first);
        if (id.empty()) return {};
        // One object spread over lines (pretty-printed) is a document; objects
        // one per line are JSON Lines.
        bool sawNewline = false;
        const size_t end = endOfValue(head, first, &sawNewline);
        if (sawNewline) return "json:" + id;
        if (end == std::string_view::npos) return id;  // a long first line
        const size_t next = head.find_first_not_of(" \t\r\n", end);
        if (next == std::string_view::npos && endsWith(name, ".json")) return "json:" + id;
        return id;
    } catch (const std::exception&) {
        return {};
    }
}

ParseOutcome parseRecord(const std::string& format, std::string_view record) {
    ParseOutcome out;
    try {
        if (isCsv(format)) {
            parseCsvRecord(format, record, out);
            return out;
        }
        std::string error;
        const auto parsed = parseJson(record, error);
        if (!parsed) {
            out.errors.push_back(error);
            return out;
        }
        dispatchRecord(stripJsonPrefix(format), *parsed, record, out);
    } catch (const std::exception& e) {
        out.traces.clear();
        out.errors.push_back(std::string("record could not be read: ") + e.what());
    }
    return out;
}

ParseOutcome parseDocument(const std::string& format, std::string_view document) {
    ParseOutcome out;
    try {
        const std::string id = stripJsonPrefix(format);
        if (isCsv(id)) {
            out.errors.push_back("CSV files are read record by record (splitCsvRecords + parseRecord)");
            return out;
        }
        std::string error;
        auto parsed = parseJson(document, error);
        if (!parsed) {
            // JSON Lines handed over whole: parse line by line.
            bool any = false;
            size_t lineNo = 0;
            for (size_t pos = 0; pos < document.size();) {
                size_t end = document.find('\n', pos);
                if (end == std::string_view::npos) end = document.size();
                std::string_view line = document.substr(pos, end - pos);
                pos = end + 1;
                ++lineNo;
                if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
                if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
                ParseOutcome one = parseRecord(id, line);
                any = any || !one.traces.empty();
                for (auto& e : one.errors)
                    out.errors.push_back(
                        std::string("line ").append(std::to_string(lineNo)).append(": ").append(e));
                appendOutcome(out, std::move(one),
                              [&](Trace& t) { t.sourceLine = static_cast<int64_t>(lineNo); });
            }
            if (!any && lineNo <= 1) {
                out.errors.clear();
                out.errors.push_back(error);
            }
            return out;
        }
        Json& doc = *parsed;
        // Wrapper objects ({"data": [...]}, {"runs": [...]}, {"traces": [...]})
        // that are not records themselves.
        if (doc.is_object() && detectFromRecord(doc).empty()) {
            for (const char* key : {"data", "runs", "traces", "observations", "items", "records", "rows"}) {
                if (doc.contains(key) && doc[key].is_array()) {
                    Json inner = std::move(doc[key]);
                    doc = std::move(inner);
                    break;
                }
            }
        }
        if (!doc.is_array()) {
            dispatchRecord(id, doc, document, out);
            return out;
        }
        for (size_t i = 0; i < doc.size(); ++i) {
            ParseOutcome one;
            dispatchRecord(id, doc[i], dumpJson(doc[i]), one);
            for (auto& e : one.errors)
                out.errors.push_back(std::string("[").append(std::to_string(i)).append("]: ").append(e));
            appendOutcome(out, std::move(one), [&](Trace& t) { t.metadata["document_index"] = i; });
        }
    } catch (const std::exception& e) {
        out.errors.push_back(std::string("document could not be read: ") + e.what());
    }
    return out;
}

}  // namespace crucible::importers
