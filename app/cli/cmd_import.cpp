// crucible-cli import PATH...: files, folders, .gz and .zip into the workspace.
#include <chrono>
#include <cstdio>
#include <memory>

#include "args.h"
#include "workspace/import_runner.h"

namespace cli {

void declare_workspace_option(Args& args);
std::unique_ptr<crucible::Database> open_workspace_or_report(const Args& args);

int run_import(int argc, char** argv) {
    Args args("import", "PATH... [--workspace DIR] [--format F]");
    declare_workspace_option(args);
    args.option("format", "F", "treat every file as this format (default: detect)", "auto");
    args.option("batch", "N", "traces per transaction", "1000");
    args.flag("rescan", "read again files an earlier import finished");
    args.flag("quiet", "no progress line");
    int code = 0;
    if (!args.parse(argc, argv, &code)) return code;
    if (args.positional().empty()) {
        args.print_help();
        return 2;
    }
    auto batch = args.get_int("batch");
    if (!batch || *batch <= 0) return 2;
    auto db = open_workspace_or_report(args);
    if (!db) return 1;

    crucible::ImportOptions options;
    options.paths = args.positional();
    options.format = args.get("format");
    options.batchSize = static_cast<int>(*batch);
    options.rescan = args.has("rescan");
    const auto start = std::chrono::steady_clock::now();
    auto lastPrint = start;
    if (!args.has("quiet")) {
        options.onProgress = [&](const crucible::ImportProgress& p) {
            const auto now = std::chrono::steady_clock::now();
            if (now - lastPrint < std::chrono::milliseconds(500)) return;
            lastPrint = now;
            const double seconds = std::chrono::duration<double>(now - start).count();
            std::fprintf(stderr, "\r%lld read, %lld imported, %lld duplicates, %lld rejected (%.0f/s)  %s",
                         static_cast<long long>(p.total.read), static_cast<long long>(p.total.imported),
                         static_cast<long long>(p.total.duplicates), static_cast<long long>(p.total.rejected),
                         p.total.read / std::max(seconds, 1e-3), p.file.c_str());
            std::fflush(stderr);
        };
    }
    crucible::ImportRunner runner(*db, crucible::builtinRecordParsers());
    auto summary = runner.run(options);
    if (!args.has("quiet")) std::fprintf(stderr, "\n");
    if (!summary) {
        std::fprintf(stderr, "crucible-cli import: %s\n", summary.error().message.c_str());
        return 1;
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("import %lld: %lld files done, %lld skipped (already imported)%s in %.1f s\n",
                static_cast<long long>(summary->importId), static_cast<long long>(summary->filesDone),
                static_cast<long long>(summary->filesSkipped), summary->cancelled ? ", cancelled" : "",
                seconds);
    std::printf("%-16s %10s %10s %10s %10s %10s\n", "format", "read", "imported", "duplicates", "rejected",
                "skipped");
    auto row = [](const std::string& name, const crucible::ImportCounters& c) {
        // CSV formats carry their column mapping in the id; show the family only.
        std::string shown = name.rfind("csv", 0) == 0 ? "csv" : name;
        std::printf("%-16s %10lld %10lld %10lld %10lld %10lld\n", shown.c_str(),
                    static_cast<long long>(c.read), static_cast<long long>(c.imported),
                    static_cast<long long>(c.duplicates), static_cast<long long>(c.rejected),
                    static_cast<long long>(c.skipped));
    };
    for (const auto& [format, c] : summary->byFormat) row(format, c);
    row("total", summary->total);
    for (const std::string& e : summary->fileErrors) std::fprintf(stderr, "error: %s\n", e.c_str());
    if (summary->total.rejected > 0)
        std::printf("rejected records are listed in the workspace (import_rejections, import %lld)\n",
                    static_cast<long long>(summary->importId));
    return summary->fileErrors.empty() ? 0 : 1;
}

}  // namespace cli
