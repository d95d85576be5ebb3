// CSV with a header row and a column mapping. Format strings:
//   csv                                   map columns by their usual names
//   csv:prompt=question,response=answer   explicit mapping (column names or 0-based indexes)
//   ...;header=["question","answer"]      the header row, added by detectFileFormat /
//                                         withCsvHeader so each record maps alone
//   csv:langfuse                          a Langfuse table export (langfuse_csv.cpp)
// Mapping keys: prompt, response, system, model, id, tags (";"-separated),
// ground_truth, rejected, prompt_tokens, completion_tokens, latency_ms, cost.
// Unmapped columns are kept in metadata under their header names.
#include <map>

#include "importers/importer_common.h"

namespace crucible::importers {

std::vector<std::string_view> splitCsvRecords(std::string_view text) {
    std::vector<std::string_view> records;
    if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
    size_t start = 0;
    bool quoted = false;
    for (size_t i = 0; i <= text.size(); ++i) {
        const bool atEnd = i == text.size();
        if (!atEnd && text[i] == '"') {
            quoted = !quoted;  // a doubled quote toggles twice: still inside
            continue;
        }
        if (atEnd || (!quoted && text[i] == '\n')) {
            std::string_view record = text.substr(start, i - start);
            if (!record.empty() && record.back() == '\r') record.remove_suffix(1);
            if (!record.empty()) records.push_back(record);
            start = i + 1;
        }
    }
    return records;
}

std::vector<std::string> splitCsvFields(std::string_view record) {
    std::vector<std::string> fields(1);
    bool quoted = false;
    for (size_t i = 0; i < record.size(); ++i) {
        const char c = record[i];
        if (quoted) {
            if (c == '"') {
                if (i + 1 < record.size() && record[i + 1] == '"') {
                    fields.back() += '"';
                    ++i;
                } else {
                    quoted = false;
                }
            } else {
                fields.back() += c;
            }
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            fields.emplace_back();
        } else if (c != '\r') {
            fields.back() += c;
        }
    }
    return fields;
}

namespace {

struct CsvFormat {
    std::map<std::string, std::string> mapping;  // key -> column name or index
    std::vector<std::string> header;
    bool langfuse = false;  // "csv:langfuse": columns are Langfuse's field names
};

bool parseFormat(const std::string& format, CsvFormat& out, std::string& error) {
    std::string spec = format.size() > 4 ? format.substr(4) : std::string();
    if (const auto h = spec.find("header="); h != std::string::npos && (h == 0 || spec[h - 1] == ';')) {
        const Json header = Json::parse(spec.substr(h + 7), nullptr, false);
        if (!header.is_array()) {
            error = "csv format has a malformed header list";
            return false;
        }
        for (const Json& name : header) out.header.push_back(textOf(name));
        spec.resize(h == 0 ? 0 : h - 1);
    }
    size_t pos = 0;
    while (pos < spec.size()) {
        size_t end = spec.find(',', pos);
        if (end == std::string::npos) end = spec.size();
        const std::string item = spec.substr(pos, end - pos);
        pos = end + 1;
        if (item.empty()) continue;
        const auto eq = item.find('=');
        if (item == "langfuse") {
            out.langfuse = true;
            continue;
        }
        if (eq == std::string::npos) {
            error = "csv mapping item '" + item + "' is not key=column";
            return false;
        }
        out.mapping[item.substr(0, eq)] = item.substr(eq + 1);
    }
    return true;
}

// Default column names for each mapping key, when the format gives none.
const std::map<std::string, std::vector<std::string>>& defaultNames() {
    static const std::map<std::string, std::vector<std::string>> names = {
        {"prompt", {"prompt", "question", "input", "instruction", "query", "user"}},
        {"response", {"response", "answer", "output", "completion", "assistant", "chosen"}},
        {"system", {"system", "system_prompt"}},
        {"model", {"model"}},
        {"id", {"id"}},
        {"tags", {"tags"}},
        {"ground_truth", {"ground_truth", "reference", "reference_answer", "expected"}},
        {"rejected", {"rejected"}},
    };
    return names;
}

std::string toLower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// Column index for a mapping value (a header name, else a 0-based index).
int columnIndex(const std::string& column, const std::vector<std::string>& header) {
    for (size_t i = 0; i < header.size(); ++i) {
        if (header[i] == column) return static_cast<int>(i);
    }
    if (!column.empty() && column.find_first_not_of("0123456789") == std::string::npos)
        return std::stoi(column);
    return -1;
}

}  // namespace

std::string csvFormatFromHead(std::string_view head) {
    if (head.substr(0, 3) == "\xEF\xBB\xBF") head.remove_prefix(3);
    const auto records = splitCsvRecords(head);
    if (records.empty()) return {};
    std::vector<std::string> header = splitCsvFields(records.front());
    return withCsvHeader(looksLikeLangfuseCsvHeader(header) ? "csv:langfuse" : "csv", records.front());
}

std::string withCsvHeader(const std::string& format, std::string_view head) {
    if (!(format == "csv" || format.rfind("csv:", 0) == 0) || format.find("header=") != std::string::npos)
        return format;
    if (head.substr(0, 3) == "\xEF\xBB\xBF") head.remove_prefix(3);
    const auto records = splitCsvRecords(head);
    if (records.empty()) return format;
    Json header = Json::array();
    for (auto& name : splitCsvFields(records.front())) header.push_back(sanitizeUtf8(name));
    std::string out = format == "csv" ? std::string("csv:") : format + ";";
    return out + "header=" + dumpJson(header);
}

void parseCsvRecord(const std::string& format, std::string_view record, ParseOutcome& out) {
    CsvFormat spec;
    std::string error;
    if (!parseFormat(format, spec, error)) {
        out.errors.push_back(error);
        return;
    }
    std::vector<std::string> fields = splitCsvFields(record);
    for (auto& f : fields) f = sanitizeUtf8(f);
    if (!spec.header.empty() && fields == spec.header) return;  // the header row itself
    if (spec.langfuse) {
        parseLangfuseCsvRow(spec.header, fields, record, out);
        return;
    }

    // Resolve mapping key -> column index.
    std::map<std::string, int> columns;
    for (const auto& [key, column] : spec.mapping) {
        const int index = columnIndex(column, spec.header);
        if (index < 0) {
            Json header(spec.header);
            out.errors.push_back("csv mapping " + key + "=" + column +
                                 " names no column (header: " + dumpJson(header) + ")");
            return;
        }
        columns[key] = index;
    }
    for (const auto& [key, names] : defaultNames()) {
        if (columns.count(key)) continue;
        for (size_t i = 0; i < spec.header.size() && !columns.count(key); ++i) {
            for (const auto& name : names) {
                if (toLower(spec.header[i]) == name) {
                    columns[key] = static_cast<int>(i);
                    break;
                }
            }
        }
    }
    if (!columns.count("prompt")) {
        out.errors.push_back("csv has no prompt column: give csv:prompt=<column> (header: " +
                             dumpJson(Json(spec.header)) + ")");
        return;
    }
    if (fields.size() != spec.header.size() && !spec.header.empty()) {
        out.errors.push_back("csv record has " + std::to_string(fields.size()) + " fields, header has " +
                             std::to_string(spec.header.size()));
        return;
    }
    const auto field = [&](const std::string& key) -> std::optional<std::string> {
        const auto it = columns.find(key);
        if (it == columns.end() || it->second >= static_cast<int>(fields.size())) return std::nullopt;
        return fields[static_cast<size_t>(it->second)];
    };

    Trace trace = makeTrace("csv", record);
    const auto addMessage = [&](const char* role, std::string text) {
        Message m;
        m.role = role;
        m.content = std::move(text);
        trace.messages.push_back(std::move(m));
    };
    if (auto s = field("system"); s && !s->empty()) addMessage("system", *s);
    addMessage("user", field("prompt").value_or(""));
    if (auto r = field("response"); r) addMessage("assistant", *r);
    if (auto m = field("model")) trace.model = *m;
    if (auto id = field("id")) trace.externalId = *id;
    if (auto tags = field("tags"); tags && !tags->empty()) {
        size_t pos = 0;
        while (pos <= tags->size()) {
            size_t end = tags->find(';', pos);
            if (end == std::string::npos) end = tags->size();
            std::string tag = tags->substr(pos, end - pos);
            if (!tag.empty()) trace.tags.push_back(tag);
            pos = end + 1;
        }
    }
    if (auto g = field("ground_truth"); g && !g->empty()) trace.groundTruth = *g;
    if (auto r = field("rejected"); r && !r->empty()) {
        Message m;
        m.role = "assistant";
        m.content = *r;
        trace.rejected = std::move(m);
    }
    if (auto v = field("prompt_tokens")) trace.promptTokens = intOf(Json(*v));
    if (auto v = field("completion_tokens")) trace.completionTokens = intOf(Json(*v));
    if (auto v = field("latency_ms")) trace.latencyMs = doubleOf(Json(*v));
    if (auto v = field("cost")) trace.costUsd = doubleOf(Json(*v));
    // Everything unmapped stays, under its header name (or "column_N").
    for (size_t i = 0; i < fields.size(); ++i) {
        bool mapped = false;
        for (const auto& [key, index] : columns) mapped = mapped || index == static_cast<int>(i);
        if (mapped) continue;
        const std::string name = i < spec.header.size() ? spec.header[i] : "column_" + std::to_string(i);
        trace.metadata[name] = fields[i];
    }
    out.traces.push_back(std::move(trace));
}

}  // namespace crucible::importers
