// Langfuse table exports as CSV ("csv:langfuse"). Langfuse documents the
// fields of traces and observations but not the CSV column set, so this reads
// the layout those fields suggest and rejects any other clearly:
//  - the header names fields as the API does (camelCase: traceId, startTime,
//    completionStartTime, usageDetails, ...); matching ignores case;
//  - each row is one trace (id, timestamp, input, output, ...) or one
//    observation (traceId, type, startTime, model, input, output, usage, ...);
//  - structured cells (input, output, metadata, usage, modelParameters, tags)
//    hold JSON text; a cell that is not JSON is kept as a string (input and
//    output then read as plain text); tags may also be comma-separated;
//  - empty cells are absent fields.
// A row then goes through the JSON Langfuse importer (langfuse_format.cpp):
// GENERATION observations and traces become traces, other observation types
// are skipped. Trace::raw is the CSV row verbatim; format "langfuse_csv".
#include <algorithm>

#include "importers/importer_common.h"

namespace crucible::importers {

namespace {

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

bool hasColumn(const std::vector<std::string>& header, const char* name) {
    const std::string wanted = lower(name);
    return std::any_of(header.begin(), header.end(),
                       [&](const std::string& h) { return lower(h) == wanted; });
}

// The field names Langfuse uses, in their API spelling, by lowercase name.
const std::string& canonicalName(const std::string& column) {
    static const std::vector<std::string> names = {"id",
                                                   "traceId",
                                                   "type",
                                                   "name",
                                                   "timestamp",
                                                   "startTime",
                                                   "endTime",
                                                   "completionStartTime",
                                                   "model",
                                                   "modelParameters",
                                                   "input",
                                                   "output",
                                                   "metadata",
                                                   "tags",
                                                   "sessionId",
                                                   "userId",
                                                   "release",
                                                   "version",
                                                   "level",
                                                   "statusMessage",
                                                   "parentObservationId",
                                                   "promptId",
                                                   "promptName",
                                                   "promptVersion",
                                                   "usage",
                                                   "usageDetails",
                                                   "costDetails",
                                                   "latency",
                                                   "totalCost",
                                                   "calculatedTotalCost",
                                                   "totalPrice",
                                                   "promptTokens",
                                                   "completionTokens",
                                                   "htmlPath",
                                                   "public",
                                                   "scores"};
    const std::string key = lower(column);
    for (const std::string& n : names) {
        if (lower(n) == key) return n;
    }
    return column;
}

bool isStructured(const std::string& name) {
    return name == "input" || name == "output" || name == "metadata" || name == "modelParameters" ||
           name == "usage" || name == "usageDetails" || name == "costDetails" || name == "tags" ||
           name == "scores";
}

Json cellValue(const std::string& name, const std::string& cell) {
    if (isStructured(name)) {
        const size_t first = cell.find_first_not_of(" \t\r\n");
        if (first != std::string::npos && (cell[first] == '{' || cell[first] == '[' || cell[first] == '"')) {
            Json parsed = Json::parse(cell, nullptr, false);
            if (!parsed.is_discarded()) return parsed;
        }
        if (name == "tags") {  // "a,b" -> ["a","b"]
            Json tags = Json::array();
            size_t pos = 0;
            while (pos <= cell.size()) {
                size_t end = cell.find(',', pos);
                if (end == std::string::npos) end = cell.size();
                std::string tag = cell.substr(pos, end - pos);
                tag.erase(0, tag.find_first_not_of(' '));
                tag.erase(tag.find_last_not_of(' ') + 1);
                if (!tag.empty()) tags.push_back(tag);
                pos = end + 1;
            }
            return tags;
        }
    }
    if (cell == "null") return Json();
    return cell;
}

}  // namespace

bool looksLikeLangfuseCsvHeader(const std::vector<std::string>& header) {
    const bool observation =
        hasColumn(header, "traceId") && (hasColumn(header, "type") || hasColumn(header, "startTime") ||
                                         hasColumn(header, "parentObservationId"));
    const bool trace = hasColumn(header, "id") && hasColumn(header, "timestamp") &&
                       (hasColumn(header, "sessionId") || hasColumn(header, "userId") ||
                        hasColumn(header, "release") || hasColumn(header, "htmlPath"));
    return observation || trace;
}

void parseLangfuseCsvRow(const std::vector<std::string>& header, const std::vector<std::string>& fields,
                         std::string_view record, ParseOutcome& out) {
    if (!looksLikeLangfuseCsvHeader(header) || !(hasColumn(header, "input") || hasColumn(header, "output"))) {
        out.errors.push_back(
            "not a Langfuse CSV layout this importer knows: it needs input/output columns and either "
            "traceId with type or startTime (observations) or id, timestamp and sessionId/userId/release "
            "(traces) (header: " +
            dumpJson(Json(header)) + ")");
        return;
    }
    if (fields.size() != header.size()) {
        out.errors.push_back("csv record has " + std::to_string(fields.size()) + " fields, header has " +
                             std::to_string(header.size()));
        return;
    }
    Json row = Json::object();
    for (size_t i = 0; i < header.size(); ++i) {
        if (fields[i].empty()) continue;
        const std::string& name = canonicalName(header[i]);
        row[name] = cellValue(name, fields[i]);
    }
    ParseOutcome one;
    parseLangfuse(row, record, one);
    for (Trace& t : one.traces) {
        t.format = "langfuse_csv";
        t.raw = std::string(record);
        out.traces.push_back(std::move(t));
    }
    out.errors.insert(out.errors.end(), one.errors.begin(), one.errors.end());
}

}  // namespace crucible::importers
