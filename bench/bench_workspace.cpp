// Workspace benchmark tool (driven by bench/bench_workspace.py):
//   bench_workspace generate FILE N     write N OpenAI chat JSONL records
//   bench_workspace import DB FILE      import them (stand-in OpenAI chat parser), print JSON figures
//   bench_workspace search DB [ROUNDS]  label a sample, then time a set of searches, print JSON figures
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "workspace/import_runner.h"
#include "workspace/trace_store.h"
#include "workspace_test_parser.h"

using namespace crucible;
using Clock = std::chrono::steady_clock;

namespace {

const char* kWords[] = {"the",      "model",  "answer",  "question", "weather",  "order",   "refund",
                        "python",   "error",  "install", "package",  "function", "return",  "value",
                        "table",    "query",  "invoice", "account",  "password", "reset",   "email",
                        "shipping", "delay",  "price",   "compare",  "summary",  "article", "translate",
                        "french",   "german", "please",  "thanks",   "schedule", "meeting", "tomorrow",
                        "report",   "budget", "quarter", "sales",    "growth"};

int generate(const char* path, int64_t n) {
    std::ofstream out(path, std::ios::binary);
    std::mt19937_64 rng(42);
    const size_t nWords = sizeof(kWords) / sizeof(kWords[0]);
    auto sentence = [&](int words) {
        std::string s;
        for (int i = 0; i < words; ++i) {
            if (i) s += ' ';
            s += kWords[rng() % nWords];
        }
        return s;
    };
    const char* models[] = {"gpt-4o", "gpt-4o-mini", "llama-3-8b", "qwen-2.5-7b", "mistral-7b"};
    for (int64_t i = 0; i < n; ++i) {
        nlohmann::json messages = nlohmann::json::array();
        messages.push_back({{"role", "system"}, {"content", "You are a helpful assistant."}});
        messages.push_back(
            {{"role", "user"},
             {"content", sentence(12 + static_cast<int>(rng() % 20)) + " #" + std::to_string(i)}});
        if (i % 10 == 0) {
            messages.push_back({{"role", "assistant"},
                                {"content", nullptr},
                                {"tool_calls",
                                 {{{"id", "call_" + std::to_string(i)},
                                   {"type", "function"},
                                   {"function", {{"name", "lookup"}, {"arguments", "{\"q\":\"x\"}"}}}}}}});
            messages.push_back(
                {{"role", "tool"}, {"tool_call_id", "call_" + std::to_string(i)}, {"content", "ok"}});
        }
        messages.push_back({{"role", "assistant"}, {"content", sentence(20 + static_cast<int>(rng() % 60))}});
        nlohmann::json line = {{"model", models[rng() % 5]}, {"messages", messages}};
        out << line.dump() << '\n';
    }
    return out ? 0 : 1;
}

long peakRssKb() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss;
}

int runImport(const char* dbPath, const char* file) {
    auto db = Database::open(dbPath);
    if (!db) {
        std::fprintf(stderr, "%s\n", db.error().message.c_str());
        return 1;
    }
    ImportRunner runner(**db, crucible::testing::openAiChatParsers());
    ImportOptions options;
    options.paths = {file};
    const auto start = Clock::now();
    auto summary = runner.run(options);
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (!summary) {
        std::fprintf(stderr, "%s\n", summary.error().message.c_str());
        return 1;
    }
    (void)(*db)->exec("PRAGMA optimize");
    const auto cpu = [] {
        rusage u{};
        getrusage(RUSAGE_SELF, &u);
        return u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 + u.ru_stime.tv_sec + u.ru_stime.tv_usec / 1e6;
    }();
    nlohmann::json out = {{"imported", summary->total.imported},
                          {"rejected", summary->total.rejected},
                          {"seconds", seconds},
                          {"records_per_s", summary->total.read / seconds},
                          {"cpu_seconds", cpu},
                          {"peak_rss_mib", peakRssKb() / 1024.0}};
    std::printf("%s\n", out.dump().c_str());
    return 0;
}

int runSearch(const char* dbPath, int rounds) {
    auto db = Database::open(dbPath);
    if (!db) return 1;
    TraceStore store(**db);
    // Label 1% of the traces (good/bad alternating) so the label filter has work.
    {
        Transaction tx(**db);
        auto count = store.traceCount();
        for (int64_t id = 1; id <= *count; id += 100) {
            Label l;
            l.verdict = id % 200 == 1 ? "good" : "bad";
            (void)store.appendLabelInTransaction(id, l);
        }
        (void)tx.commit();
        (void)(*db)->exec("ANALYZE");
    }
    struct Named {
        const char* name;
        SearchQuery q;
    };
    std::vector<Named> queries;
    auto add = [&](const char* name, auto fill) {
        SearchQuery q;
        fill(q);
        queries.push_back({name, q});
    };
    add("newest", [](SearchQuery&) {});
    add("model", [](SearchQuery& q) { q.models = {"qwen-2.5-7b"}; });
    add("label good", [](SearchQuery& q) { q.label = "good"; });
    add("has tool calls", [](SearchQuery& q) { q.hasToolCalls = true; });
    add("longest", [](SearchQuery& q) { q.sort = SearchQuery::Sort::Length; });
    add("length range", [](SearchQuery& q) { q.minLength = 300, q.maxLength = 320; });
    add("fts rare", [](SearchQuery& q) { q.text = "\"#123456\""; });
    add("fts 2 words, by date", [](SearchQuery& q) { q.text = "refund invoice"; });
    add("fts phrase relevance", [](SearchQuery& q) {
        q.text = "\"password reset\" email";
        q.sort = SearchQuery::Sort::Relevance;
    });
    add("fts + model + tools", [](SearchQuery& q) {
        q.text = "weather";
        q.models = {"gpt-4o"};
        q.hasToolCalls = true;
    });
    add("fts common, relevance", [](SearchQuery& q) {
        q.text = "the";
        q.sort = SearchQuery::Sort::Relevance;
    });
    nlohmann::json results = nlohmann::json::array();
    std::vector<double> all;
    for (const Named& n : queries) {
        std::vector<double> ms;
        size_t rows = 0;
        for (int r = 0; r < rounds; ++r) {
            const auto start = Clock::now();
            auto page = store.search(n.q);
            ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
            if (!page) {
                std::fprintf(stderr, "%s: %s\n", n.name, page.error().message.c_str());
                return 1;
            }
            rows = page->rows.size();
            // Page 2 through the cursor, timed too.
            if (!page->nextCursor.empty()) {
                SearchQuery next = n.q;
                next.after = page->nextCursor;
                const auto s2 = Clock::now();
                (void)store.search(next);
                ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - s2).count());
            }
        }
        std::sort(ms.begin(), ms.end());
        all.insert(all.end(), ms.begin(), ms.end());
        results.push_back({{"query", n.name},
                           {"rows", rows},
                           {"p50_ms", ms[ms.size() / 2]},
                           {"p95_ms", ms[std::min(ms.size() - 1, ms.size() * 95 / 100)]}});
    }
    std::sort(all.begin(), all.end());
    nlohmann::json out = {{"queries", results},
                          {"overall_p50_ms", all[all.size() / 2]},
                          {"overall_p95_ms", all[all.size() * 95 / 100]}};
    std::printf("%s\n", out.dump(1).c_str());
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    const std::string cmd = argc > 1 ? argv[1] : "";
    if (cmd == "generate" && argc == 4) return generate(argv[2], std::atoll(argv[3]));
    if (cmd == "import" && argc == 4) return runImport(argv[2], argv[3]);
    if (cmd == "search" && argc >= 3) return runSearch(argv[2], argc > 3 ? std::atoi(argv[3]) : 20);
    std::fprintf(stderr, "usage: bench_workspace generate FILE N | import DB FILE | search DB [ROUNDS]\n");
    return 2;
}
