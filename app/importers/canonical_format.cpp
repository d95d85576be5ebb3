// Crucible's canonical JSONL, the lossless form the Exporter writes
// (workspace/trace_json.h canonicalLine): {"crucible_trace":1, "trace":{...},
// "labels":[...]}. Unlike the other formats, a canonical trace keeps the raw
// record, format and provenance of its original import, so re-importing an
// export dedupes against the original traces and loses nothing; the label
// history travels in ParseOutcome::labels.
#include "importers/importer_common.h"
#include "workspace/trace_json.h"

namespace crucible::importers {

namespace {

bool decodeLabel(const Json& value, size_t index, Label& label, Errors& errors) {
    const std::string path = "labels[" + std::to_string(index) + "]";
    if (!value.is_object()) {
        errors.push_back(path + " is " + value.type_name() + ", not an object");
        return false;
    }
    const auto verdict = value.find("verdict");
    if (verdict == value.end() || !verdict->is_string() || verdict->get<std::string>().empty()) {
        errors.push_back(path + ".verdict missing or not a string");
        return false;
    }
    label.verdict = verdict->get<std::string>();
    if (const auto s = value.find("score"); s != value.end() && !s->is_null()) {
        if (!s->is_number()) {
            errors.push_back(path + ".score is " + s->type_name() + ", not a number");
            return false;
        }
        label.score = s->get<double>();
    }
    label.critique = textOf(value.value("critique", Json()));
    if (const auto c = value.find("corrected_answer"); c != value.end() && c->is_string())
        label.correctedAnswer = c->get<std::string>();
    label.author = textOf(value.value("author", Json()));
    label.createdAtMs = intOf(value.value("created_at_ms", Json())).value_or(0);
    return true;
}

}  // namespace

void parseCanonical(const Json& record, std::string_view, ParseOutcome& out) {
    const Json version = record.value("crucible_trace", Json());
    if (!version.is_number_integer() || version.get<int64_t>() != 1) {
        out.errors.push_back("unsupported crucible_trace version " + dumpJson(version) +
                             " (this build reads 1)");
        return;
    }
    const auto traceJson = record.find("trace");
    if (traceJson == record.end() || !traceJson->is_object()) {
        out.errors.push_back(traceJson == record.end()
                                 ? std::string("trace missing")
                                 : std::string("trace is ") + traceJson->type_name() + ", not an object");
        return;
    }
    auto trace = traceFromJson(*traceJson);
    if (!trace) {
        out.errors.push_back(trace.error().message);
        return;
    }
    if (trace->format.empty()) {
        out.errors.push_back("trace.format missing: a canonical trace names the format it was imported from");
        return;
    }
    Errors errors;
    std::vector<Label> labels;
    if (const auto l = record.find("labels"); l != record.end() && !l->is_null()) {
        if (!l->is_array()) {
            errors.push_back(std::string("labels is ") + l->type_name() + ", not an array");
        } else {
            for (size_t i = 0; i < l->size(); ++i) {
                Label label;
                if (decodeLabel((*l)[i], i, label, errors)) labels.push_back(std::move(label));
            }
        }
    }
    if (!errors.empty()) {
        out.errors.insert(out.errors.end(), errors.begin(), errors.end());
        return;
    }
    out.keepsSource = true;
    out.labels.resize(out.traces.size());  // keep labels[i] aligned with traces[i]
    out.traces.push_back(std::move(*trace));
    out.labels.push_back(std::move(labels));
}

}  // namespace crucible::importers
