// crucible-cli traces list|search|show|label: browse and label the workspace.
// Also holds the workspace options and search filters that the import,
// datasets and export commands share (declared where they are used).
#include <QDate>
#include <QDateTime>
#include <QTimeZone>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "args.h"
#include "workspace/trace_json.h"
#include "workspace/trace_store.h"
#include "workspace/workspace_paths.h"

namespace cli {

using crucible::SearchQuery;

void declare_workspace_option(Args& args) {
    args.option("workspace", "DIR",
                "workspace folder (default: $CRUCIBLE_WORKSPACE or the user data folder)");
}

std::unique_ptr<crucible::Database> open_workspace_or_report(const Args& args) {
    const std::string dir = args.has("workspace") ? args.get("workspace") : crucible::defaultWorkspaceDir();
    auto db = crucible::openWorkspace(dir);
    if (!db) {
        std::fprintf(stderr, "crucible-cli: %s\n", db.error().message.c_str());
        return nullptr;
    }
    return std::move(*db);
}

void declare_filter_options(Args& args) {
    args.option("query", "TEXT", "full-text query (FTS5 syntax; plain words always work)");
    args.option("format", "ID", "only this source format (repeatable)");
    args.option("source", "PREFIX", "only traces whose source file starts with PREFIX");
    args.option("model", "NAME", "only this model (repeatable)");
    args.option("label", "L", "good, bad, score, labeled or unlabeled");
    args.option("tag", "TAG", "only traces with this tag (repeatable, all must match)");
    args.option("from", "DATE", "started at or after (YYYY-MM-DD, ISO date-time or epoch ms)");
    args.option("to", "DATE", "started before (same forms)");
    args.option("tools", "yes|no", "only traces with (or without) tool calls");
    args.option("min-length", "N", "total message length at least N bytes");
    args.option("max-length", "N", "total message length at most N bytes");
    args.option("dataset", "NAME[@VERSION]", "only traces of this dataset (newest version by default)");
    args.option("sort", "date|length|relevance", "order (default: relevance with --query, else date)");
    args.flag("asc", "oldest / shortest / least relevant first");
}

namespace {

std::optional<int64_t> parse_time_ms(const std::string& text) {
    if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos) return std::stoll(text);
    const QString s = QString::fromStdString(text);
    QDateTime dt = QDateTime::fromString(s, Qt::ISODateWithMs);
    if (!dt.isValid()) {
        const QDate d = QDate::fromString(s, Qt::ISODate);
        if (d.isValid()) dt = d.startOfDay(QTimeZone::utc());
    }
    if (!dt.isValid()) return std::nullopt;
    return dt.toMSecsSinceEpoch();
}

}  // namespace

std::optional<SearchQuery> search_query_from(const Args& args, crucible::TraceStore& store) {
    SearchQuery q;
    q.text = args.get("query");
    q.formats = args.get_all("format");
    q.sourcePrefix = args.get("source");
    q.models = args.get_all("model");
    q.label = args.get("label");
    if (!q.label.empty() && q.label != "good" && q.label != "bad" && q.label != "score" &&
        q.label != "labeled" && q.label != "unlabeled") {
        std::fprintf(stderr,
                     "crucible-cli: --label must be good, bad, score, labeled or unlabeled, got '%s'\n",
                     q.label.c_str());
        return std::nullopt;
    }
    q.tags = args.get_all("tag");
    for (const char* name : {"from", "to"}) {
        if (!args.has(name)) continue;
        auto ms = parse_time_ms(args.get(name));
        if (!ms) {
            std::fprintf(stderr, "crucible-cli: --%s: cannot read '%s' as a date\n", name,
                         args.get(name).c_str());
            return std::nullopt;
        }
        (std::string(name) == "from" ? q.fromMs : q.toMs) = *ms;
    }
    if (args.has("tools")) {
        const std::string v = args.get("tools");
        if (v != "yes" && v != "no") {
            std::fprintf(stderr, "crucible-cli: --tools must be yes or no, got '%s'\n", v.c_str());
            return std::nullopt;
        }
        q.hasToolCalls = v == "yes";
    }
    if (args.has("min-length")) {
        auto n = args.get_int("min-length");
        if (!n) return std::nullopt;
        q.minLength = *n;
    }
    if (args.has("max-length")) {
        auto n = args.get_int("max-length");
        if (!n) return std::nullopt;
        q.maxLength = *n;
    }
    if (args.has("dataset")) {
        std::string name = args.get("dataset");
        int version = 0;
        if (auto at = name.rfind('@'); at != std::string::npos) {
            version = std::atoi(name.c_str() + at + 1);
            name.resize(at);
        }
        auto d = store.dataset(name, version);
        if (!d) {
            std::fprintf(stderr, "crucible-cli: %s\n", d.error().message.c_str());
            return std::nullopt;
        }
        q.datasetId = d->id;
    }
    const std::string sort = args.get("sort");
    if (sort == "length")
        q.sort = SearchQuery::Sort::Length;
    else if (sort == "relevance" || (sort.empty() && !q.text.empty()))
        q.sort = SearchQuery::Sort::Relevance;
    else if (!sort.empty() && sort != "date") {
        std::fprintf(stderr, "crucible-cli: --sort must be date, length or relevance, got '%s'\n",
                     sort.c_str());
        return std::nullopt;
    }
    q.descending = !args.has("asc");
    return q;
}

namespace {

std::string format_time(int64_t ms) {
    return QDateTime::fromMSecsSinceEpoch(ms, QTimeZone::utc()).toString(Qt::ISODate).toStdString();
}

std::string one_line(std::string text, size_t width) {
    for (char& c : text)
        if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    if (text.size() > width) {
        text.resize(width - 3);
        text.append("...");
    }
    return text;
}

int list_or_search(int argc, char** argv, bool search) {
    Args args(search ? "traces search" : "traces list",
              search ? "QUERY [filters] [--limit N] [--cursor C] [--json]"
                     : "[filters] [--limit N] [--cursor C] [--json]");
    declare_workspace_option(args);
    declare_filter_options(args);
    args.option("limit", "N", "rows per page", "20");
    args.option("offset", "N", "skip N rows");
    args.option("cursor", "C", "continue after a previous page (printed at its end)");
    args.flag("total", "also count every match");
    args.flag("json", "print JSON");
    int code = 0;
    if (!args.parse(argc, argv, &code)) return code;
    if (search != (args.positional().size() == 1)) {
        args.print_help();
        return 2;
    }
    auto db = open_workspace_or_report(args);
    if (!db) return 1;
    crucible::TraceStore store(*db);
    auto q = search_query_from(args, store);
    if (!q) return 2;
    if (search) {
        q->text = args.positional()[0];
        if (!args.has("sort")) q->sort = SearchQuery::Sort::Relevance;
    }
    auto limit = args.get_int("limit");
    if (!limit || *limit <= 0) return 2;
    q->limit = static_cast<int>(*limit);
    if (args.has("offset")) q->offset = args.get_int("offset").value_or(0);
    q->after = args.get("cursor");
    q->withTotal = args.has("total");
    auto page = store.search(*q);
    if (!page) {
        std::fprintf(stderr, "crucible-cli: %s\n", page.error().message.c_str());
        return 1;
    }
    if (args.has("json")) {
        nlohmann::json rows = nlohmann::json::array();
        for (const auto& r : page->rows)
            rows.push_back({{"id", r.id},
                            {"format", r.format},
                            {"source_file", r.sourceFile},
                            {"source_line", r.sourceLine},
                            {"model", r.model},
                            {"time_ms", r.sortTimeMs},
                            {"messages", r.messageCount},
                            {"length", r.totalLength},
                            {"has_tool_calls", r.hasToolCalls},
                            {"label", r.labelVerdict},
                            {"preview", r.preview}});
        nlohmann::json out = {{"rows", rows}, {"next_cursor", page->nextCursor}};
        if (page->total) out["total"] = *page->total;
        std::printf("%s\n", out.dump(2).c_str());
        return 0;
    }
    for (const auto& r : page->rows)
        std::printf("%8lld  %s  %-12s %-18s %3lld msg %7lld B %s%-5s  %s\n", static_cast<long long>(r.id),
                    format_time(r.sortTimeMs).c_str(), one_line(r.format, 12).c_str(),
                    one_line(r.model, 18).c_str(), static_cast<long long>(r.messageCount),
                    static_cast<long long>(r.totalLength), r.hasToolCalls ? "T " : "  ",
                    r.labelVerdict.c_str(), one_line(r.preview, 60).c_str());
    if (page->total) std::printf("%lld matching traces\n", static_cast<long long>(*page->total));
    if (!page->nextCursor.empty()) std::printf("next page: --cursor %s\n", page->nextCursor.c_str());
    return 0;
}

std::optional<int64_t> trace_id_arg(const Args& args) {
    if (args.positional().size() != 1) {
        args.print_help();
        return std::nullopt;
    }
    try {
        return std::stoll(args.positional()[0]);
    } catch (const std::exception&) {
        std::fprintf(stderr, "crucible-cli: '%s' is not a trace id\n", args.positional()[0].c_str());
        return std::nullopt;
    }
}

nlohmann::json label_json(const crucible::Label& l) {
    return {{"verdict", l.verdict},
            {"score", l.score ? nlohmann::json(*l.score) : nlohmann::json()},
            {"critique", l.critique},
            {"corrected_answer", l.correctedAnswer ? nlohmann::json(*l.correctedAnswer) : nlohmann::json()},
            {"author", l.author},
            {"created_at_ms", l.createdAtMs}};
}

int show(int argc, char** argv) {
    Args args("traces show", "ID [--json]");
    declare_workspace_option(args);
    args.flag("json", "print the whole trace and its label history as JSON");
    int code = 0;
    if (!args.parse(argc, argv, &code)) return code;
    auto id = trace_id_arg(args);
    if (!id) return 2;
    auto db = open_workspace_or_report(args);
    if (!db) return 1;
    crucible::TraceStore store(*db);
    auto stored = store.getTrace(*id);
    auto history = store.labelHistory(*id);
    if (!stored || !history) {
        std::fprintf(stderr, "crucible-cli: %s\n",
                     (!stored ? stored.error() : history.error()).message.c_str());
        return 1;
    }
    if (!stored->has_value()) {
        std::fprintf(stderr, "crucible-cli: no trace with id %lld\n", static_cast<long long>(*id));
        return 1;
    }
    const crucible::Trace& t = (*stored)->trace;
    if (args.has("json")) {
        nlohmann::json labels = nlohmann::json::array();
        for (const auto& l : *history) labels.push_back(label_json(l));
        nlohmann::json out = {{"id", *id}, {"trace", crucible::traceToJson(t)}, {"labels", labels}};
        std::printf("%s\n", out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
        return 0;
    }
    std::printf("trace %lld  format %s  model %s\nsource %s:%lld\n", static_cast<long long>(*id),
                t.format.c_str(), t.model.c_str(), t.sourceFile.c_str(),
                static_cast<long long>(t.sourceLine));
    for (const auto& m : t.messages) {
        std::printf("\n[%s]%s%s\n%s\n", m.role.c_str(), m.name.empty() ? "" : " ", m.name.c_str(),
                    m.content.c_str());
        for (const auto& c : m.toolCalls)
            std::printf("  -> tool call %s %s(%s)\n", c.id.c_str(), c.name.c_str(), c.arguments.c_str());
    }
    if (!history->empty()) std::printf("\nlabels (oldest first):\n");
    for (const auto& l : *history) {
        std::printf("  %s %s", format_time(l.createdAtMs).c_str(), l.verdict.c_str());
        if (l.score) std::printf(" %g", *l.score);
        std::printf(" by %s: %s", l.author.empty() ? "-" : l.author.c_str(), l.critique.c_str());
        if (l.correctedAnswer) std::printf("  corrected: %s", l.correctedAnswer->c_str());
        std::printf("\n");
    }
    return 0;
}

int label(int argc, char** argv) {
    Args args("traces label", "ID --verdict good|bad|score|clear [--score X] [--critique T] [--corrected T]");
    declare_workspace_option(args);
    args.option("verdict", "V", "good, bad, score (with --score) or clear");
    args.option("score", "X", "a numeric score");
    args.option("critique", "TEXT", "why");
    args.option("corrected", "TEXT", "the answer the final assistant turn should have been");
    args.option("author", "NAME", "who labels (default: $USER)");
    int code = 0;
    if (!args.parse(argc, argv, &code)) return code;
    auto id = trace_id_arg(args);
    if (!id) return 2;
    if (!args.has("verdict")) {
        std::fprintf(stderr, "crucible-cli traces label: --verdict is required\n");
        return 2;
    }
    auto db = open_workspace_or_report(args);
    if (!db) return 1;
    crucible::TraceStore store(*db);
    const char* user = std::getenv("USER");
    const std::string author = args.has("author") ? args.get("author") : (user ? user : "");
    crucible::Label l;
    l.verdict = args.get("verdict");
    l.author = author;
    l.critique = args.get("critique");
    if (args.has("corrected")) l.correctedAnswer = args.get("corrected");
    if (args.has("score")) {
        auto score = args.get_double("score");
        if (!score) return 2;
        l.score = *score;
    }
    auto result = l.verdict == "clear" ? store.clearLabel(*id, author) : store.setLabel(*id, l);
    if (!result) {
        std::fprintf(stderr, "crucible-cli: %s\n", result.error().message.c_str());
        return 1;
    }
    std::printf("trace %lld: %s\n", static_cast<long long>(*id), result->verdict.c_str());
    return 0;
}

}  // namespace

int run_traces(int argc, char** argv) {
    const std::string sub = argc >= 2 ? argv[1] : "";
    if (sub == "list") return list_or_search(argc - 1, argv + 1, false);
    if (sub == "search") return list_or_search(argc - 1, argv + 1, true);
    if (sub == "show") return show(argc - 1, argv + 1);
    if (sub == "label") return label(argc - 1, argv + 1);
    std::fprintf(stderr,
                 "usage: crucible-cli traces list|search|show|label ...\n"
                 "  list [filters]            newest first, paged\n"
                 "  search QUERY [filters]    full-text search, most relevant first\n"
                 "  show ID [--json]          the whole conversation and its label history\n"
                 "  label ID --verdict V      set (or clear) a label; history is kept\n"
                 "Run 'crucible-cli traces <sub> --help' for options.\n");
    return sub == "--help" || sub == "-h" ? 0 : 2;
}

}  // namespace cli
