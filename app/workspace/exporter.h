// Exporter: writes a selection of traces (a search query) as training or
// interchange JSONL:
//   sft        OpenAI chat fine-tuning lines {"messages", "tools"?}; a corrected
//              answer replaces the final assistant turn; traces whose current
//              label is "bad" without a correction are skipped.
//   preference OpenAI DPO lines {"input":{"messages","tools"?}, "preferred_output",
//              "non_preferred_output"} from (a) corrected answers vs the original,
//              (b) imported rejected answers, (c) good/bad traces sharing a prompt.
//   rft        {"messages" (without the final answer), "tools"?, "reference_answer"}:
//              the ground truth, else the corrected answer, else a "good" final answer.
//   crucible   canonical lines with the full label history; importing them
//              again gives the same traces and labels.
// Threading: uses the TraceStore (so its thread); writes to the given stream.
#pragma once

#include <engine/result.h>

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

#include "workspace/trace_store.h"

namespace crucible {

enum class ExportFormat { Sft, Preference, Rft, Canonical };

// "sft" (or "openai"), "preference" (or "dpo"), "rft", "crucible" (or "canonical").
std::optional<ExportFormat> exportFormatFromName(const std::string& name);

struct ExportSummary {
    int64_t traces = 0;   // traces selected
    int64_t written = 0;  // lines written
    int64_t skipped = 0;  // selected traces that gave no line in this format
};

class Exporter {
public:
    explicit Exporter(TraceStore& store) : m_store(store) {}
    engine::Result<ExportSummary> exportTo(const SearchQuery& selection, ExportFormat format,
                                           std::ostream& out);

private:
    TraceStore& m_store;
};

}  // namespace crucible
