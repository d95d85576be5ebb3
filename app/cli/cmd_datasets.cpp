// crucible-cli datasets create|list|show: versioned, frozen selections of traces.
#include <QDateTime>
#include <QTimeZone>
#include <cstdio>
#include <memory>
#include <sstream>

#include "args.h"
#include "workspace/trace_store.h"

namespace cli {

void declare_workspace_option(Args& args);
void declare_filter_options(Args& args);
std::unique_ptr<crucible::Database> open_workspace_or_report(const Args& args);
std::optional<crucible::SearchQuery> search_query_from(const Args& args, crucible::TraceStore& store);

namespace {

void print_dataset(const crucible::Dataset& d) {
    std::printf("%-24s v%-3d %8lld traces  %s  %s\n", d.name.c_str(), d.version,
                static_cast<long long>(d.traceCount),
                QDateTime::fromMSecsSinceEpoch(d.createdAtMs, QTimeZone::utc())
                    .toString(Qt::ISODate)
                    .toStdString()
                    .c_str(),
                d.description.c_str());
}

int create(int argc, char** argv) {
    Args args("datasets create", "NAME [filters | --ids 1,2,3] [--description TEXT]");
    declare_workspace_option(args);
    declare_filter_options(args);
    args.option("ids", "LIST", "comma-separated trace ids instead of a search");
    args.option("description", "TEXT", "what the dataset is for");
    int code = 0;
    if (!args.parse(argc, argv, &code)) return code;
    if (args.positional().size() != 1) {
        args.print_help();
        return 2;
    }
    auto db = open_workspace_or_report(args);
    if (!db) return 1;
    crucible::TraceStore store(*db);
    engine::Result<crucible::Dataset> d = engine::make_error("");
    if (args.has("ids")) {
        std::vector<int64_t> ids;
        std::stringstream in(args.get("ids"));
        std::string item;
        while (std::getline(in, item, ',')) {
            try {
                ids.push_back(std::stoll(item));
            } catch (const std::exception&) {
                std::fprintf(stderr, "crucible-cli: '%s' is not a trace id\n", item.c_str());
                return 2;
            }
        }
        d = store.createDatasetFromIds(args.positional()[0], ids, args.get("description"));
    } else {
        auto q = search_query_from(args, store);
        if (!q) return 2;
        d = store.createDataset(args.positional()[0], *q, args.get("description"));
    }
    if (!d) {
        std::fprintf(stderr, "crucible-cli: %s\n", d.error().message.c_str());
        return 1;
    }
    print_dataset(*d);
    return 0;
}

int list(int argc, char** argv) {
    Args args("datasets list", "");
    declare_workspace_option(args);
    int code = 0;
    if (!args.parse(argc, argv, &code)) return code;
    auto db = open_workspace_or_report(args);
    if (!db) return 1;
    crucible::TraceStore store(*db);
    auto all = store.listDatasets();
    if (!all) {
        std::fprintf(stderr, "crucible-cli: %s\n", all.error().message.c_str());
        return 1;
    }
    for (const auto& d : *all) print_dataset(d);
    return 0;
}

int show(int argc, char** argv) {
    Args args("datasets show", "NAME [--version V] [--ids]");
    declare_workspace_option(args);
    args.option("version", "V", "a version (default: the newest)", "0");
    args.flag("ids", "print the trace ids, in order");
    int code = 0;
    if (!args.parse(argc, argv, &code)) return code;
    if (args.positional().size() != 1) {
        args.print_help();
        return 2;
    }
    auto version = args.get_int("version");
    if (!version) return 2;
    auto db = open_workspace_or_report(args);
    if (!db) return 1;
    crucible::TraceStore store(*db);
    auto d = store.dataset(args.positional()[0], static_cast<int>(*version));
    if (!d) {
        std::fprintf(stderr, "crucible-cli: %s\n", d.error().message.c_str());
        return 1;
    }
    print_dataset(*d);
    if (!d->query.is_null()) std::printf("query: %s\n", d->query.dump().c_str());
    if (args.has("ids")) {
        auto ids = store.datasetTraceIds(d->id);
        if (!ids) return 1;
        for (int64_t id : *ids) std::printf("%lld\n", static_cast<long long>(id));
    }
    return 0;
}

}  // namespace

int run_datasets(int argc, char** argv) {
    const std::string sub = argc >= 2 ? argv[1] : "";
    if (sub == "create") return create(argc - 1, argv + 1);
    if (sub == "list") return list(argc - 1, argv + 1);
    if (sub == "show") return show(argc - 1, argv + 1);
    std::fprintf(stderr,
                 "usage: crucible-cli datasets create NAME [filters] | list | show NAME [--version V]\n");
    return sub == "--help" || sub == "-h" ? 0 : 2;
}

}  // namespace cli
