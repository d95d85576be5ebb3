// crucible-cli export --format FORMAT [--query Q] [filters] [--output FILE].
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>

#include "args.h"
#include "workspace/exporter.h"

namespace cli {

void declare_workspace_option(Args& args);
void declare_filter_options(Args& args);
std::unique_ptr<crucible::Database> open_workspace_or_report(const Args& args);
std::optional<crucible::SearchQuery> search_query_from(const Args& args, crucible::TraceStore& store);

int run_export(int argc, char** argv) {
    Args args("export", "--format sft|preference|rft|crucible [--query Q] [filters] [--output FILE]");
    declare_workspace_option(args);
    declare_filter_options(args);
    args.option("output", "FILE", "write here (default: standard output)");
    // --format is a filter elsewhere; here it names the output, so sources use --source-format.
    args.option("source-format", "ID", "only traces of this source format (repeatable)");
    int code = 0;
    if (!args.parse(argc, argv, &code)) return code;
    auto format = crucible::exportFormatFromName(args.get("format"));
    if (!format) {
        std::fprintf(stderr,
                     "crucible-cli export: --format must be sft, preference, rft or crucible, got '%s'\n",
                     args.get("format").c_str());
        return 2;
    }
    auto db = open_workspace_or_report(args);
    if (!db) return 1;
    crucible::TraceStore store(*db);
    auto q = search_query_from(args, store);
    if (!q) return 2;
    q->formats = args.get_all("source-format");
    std::ofstream file;
    if (args.has("output")) {
        file.open(args.get("output"), std::ios::binary);
        if (!file) {
            std::fprintf(stderr, "crucible-cli export: cannot write '%s'\n", args.get("output").c_str());
            return 1;
        }
    }
    crucible::Exporter exporter(store);
    auto summary =
        exporter.exportTo(*q, *format, args.has("output") ? static_cast<std::ostream&>(file) : std::cout);
    if (!summary) {
        std::fprintf(stderr, "crucible-cli export: %s\n", summary.error().message.c_str());
        return 1;
    }
    std::fprintf(stderr, "%lld traces selected, %lld lines written, %lld skipped\n",
                 static_cast<long long>(summary->traces), static_cast<long long>(summary->written),
                 static_cast<long long>(summary->skipped));
    return 0;
}

}  // namespace cli
