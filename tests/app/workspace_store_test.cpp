// TraceStore: insert + dedupe, lossless read-back, labels with history,
// datasets, search with every filter, paging, hostile full-text queries.
#include <QTemporaryDir>
#include <QtTest>
#include <algorithm>
#include <functional>
#include <set>

#include "workspace/database.h"
#include "workspace/trace_json.h"
#include "workspace/trace_store.h"

using namespace crucible;

namespace {

SearchQuery Q(const std::function<void(SearchQuery&)>& fill) {
    SearchQuery q;
    fill(q);
    return q;
}

Message msg(std::string role, std::string content) {
    Message m;
    m.role = std::move(role);
    m.content = std::move(content);
    return m;
}

// A small varied trace; `i` drives every field so filters have something to bite on.
Trace makeTrace(int i) {
    Trace t;
    t.format = i % 3 == 0 ? "openai_chat" : "sharegpt";
    t.sourceFile = i % 2 ? "/data/a.jsonl" : "/data/sub/b.jsonl";
    t.sourceLine = i + 1;
    t.model = i % 4 == 0 ? "gpt-4o" : "llama-3";
    t.raw = "{\"record\":" + std::to_string(i) + "}";
    t.startedAtMs = 1'700'000'000'000 + int64_t{i} * 1000;
    t.messages.push_back(msg("system", "You are helpful."));
    t.messages.push_back(
        msg("user", "question number " + std::to_string(i) + (i % 5 == 0 ? " about zebras" : "")));
    Message answer = msg("assistant", std::string(static_cast<size_t>(i % 7) * 10, 'x') + " answer");
    if (i % 6 == 0) answer.toolCalls.push_back({"call_" + std::to_string(i), "lookup", "{\"q\":1}"});
    t.messages.push_back(answer);
    if (i % 2 == 0) t.tags.push_back("even");
    if (i % 10 == 0) t.tags.push_back("tenth");
    return t;
}

}  // namespace

class WorkspaceStoreTest : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    std::unique_ptr<Database> m_db;
    std::unique_ptr<TraceStore> m_store;
    std::vector<int64_t> m_ids;  // ids of makeTrace(0..kCount-1)
    static constexpr int kCount = 60;

    std::set<int> indexesOf(const std::vector<TraceSummary>& rows) {
        std::set<int> out;
        for (const auto& r : rows) out.insert(static_cast<int>(r.sourceLine - 1));
        return out;
    }
    std::set<int> expected(const std::function<bool(int)>& keep) {
        std::set<int> out;
        for (int i = 0; i < kCount; ++i)
            if (keep(i)) out.insert(i);
        return out;
    }
    std::set<int> all(SearchQuery q) {
        q.limit = 1000;
        auto page = m_store->search(q);
        if (!page) qFatal("%s", page.error().message.c_str());
        return indexesOf(page->rows);
    }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(m_dir.isValid());
        auto db = Database::open(m_dir.filePath("w.sqlite").toStdString());
        QVERIFY2(db.ok(), db.ok() ? "" : db.error().message.c_str());
        m_db = std::move(*db);
        m_store = std::make_unique<TraceStore>(*m_db);
        std::vector<Trace> traces;
        for (int i = 0; i < kCount; ++i) traces.push_back(makeTrace(i));
        auto summary = m_store->insertBatch(traces);
        QVERIFY2(summary.ok(), summary.ok() ? "" : summary.error().message.c_str());
        QCOMPARE(summary->inserted, int64_t{kCount});
        QCOMPARE(summary->duplicates, int64_t{0});
        m_ids = summary->ids;
    }

    void duplicatesAreCountedNotStored() {
        std::vector<Trace> again = {makeTrace(3), makeTrace(4)};
        Trace fresh = makeTrace(1000);
        fresh.sourceLine = 10'000;  // outside the 0..kCount range used by the filter tests
        fresh.format = "other";
        fresh.tags.clear();
        fresh.messages[1].content = "a fresh question";
        again.push_back(fresh);
        again.push_back(fresh);  // a duplicate inside the same batch
        auto summary = m_store->insertBatch(again);
        QVERIFY(summary.ok());
        QCOMPARE(summary->inserted, int64_t{1});
        QCOMPARE(summary->duplicates, int64_t{3});
        QCOMPARE(summary->ids[0], m_ids[3]);
        QCOMPARE(summary->ids[1], m_ids[4]);
        QCOMPARE(summary->ids[2], summary->ids[3]);
        QCOMPARE(*m_store->traceCount(), int64_t{kCount + 1});
        // Same raw text under another format is a different record.
        Trace other = makeTrace(3);
        other.format = "alpaca";
        QCOMPARE(traceContentHash(other) == traceContentHash(makeTrace(3)), false);
    }

    void readBackIsLossless() {
        Trace t = makeTrace(7);
        t.raw = "";  // hashed from content instead
        t.externalId = "span-1";
        t.sourceLine = 20'000;  // outside the range the filter tests look at
        t.endedAtMs = 1'700'000'000'500;
        t.latencyMs = 412.5;
        t.promptTokens = 12;
        t.completionTokens = 34;
        t.costUsd = 0.00123;
        t.tools = nlohmann::json::parse(R"([{"type":"function","function":{"name":"lookup"}}])");
        Message rejected = msg("assistant", "a worse answer");
        t.rejected = rejected;
        t.groundTruth = nlohmann::json{{"answer", 42}};
        t.logprobs = {{"Hel", -0.25, 17}, {"lo", -1.5, -1}};
        t.metadata = {{"temperature", 0.7}, {"user", "u1"}};
        Message parts = msg("user", "see image");
        parts.parts.push_back({"text", "see image", nullptr});
        parts.parts.push_back({"image_url", "", nlohmann::json{{"url", "data:x"}}});
        parts.name = "alice";
        t.messages.insert(t.messages.begin() + 1, parts);
        Message tool = msg("tool", "{\"r\":1}");
        tool.toolCallId = "call_9";
        t.messages.push_back(tool);
        t.tags = {"zeta", "alpha"};  // order kept, not sorted
        auto summary = m_store->insertBatch({t});
        QVERIFY(summary.ok());
        QCOMPARE(summary->inserted, int64_t{1});
        auto stored = m_store->getTrace(summary->ids[0]);
        QVERIFY(stored.ok() && stored->has_value());
        QVERIFY2(sameTrace((*stored)->trace, t),
                 (traceToJson((*stored)->trace).dump() + "\n!=\n" + traceToJson(t).dump()).c_str());
        auto missing = m_store->getTrace(987654);
        QVERIFY(missing.ok() && !missing->has_value());
    }

    void labelsKeepHistory() {
        const int64_t id = m_ids[11];
        Label good;
        good.verdict = "good";
        good.author = "ann";
        good.critique = "fine";
        QVERIFY(m_store->setLabel(id, good).ok());
        Label bad;
        bad.verdict = "bad";
        bad.author = "bob";
        bad.correctedAnswer = "the right answer";
        QVERIFY(m_store->setLabel(id, bad).ok());
        auto current = m_store->currentLabel(id);
        QVERIFY(current.ok() && current->has_value());
        QCOMPARE((*current)->verdict, std::string("bad"));
        QCOMPARE(*(*current)->correctedAnswer, std::string("the right answer"));
        QVERIFY(m_store->clearLabel(id, "ann").ok());
        current = m_store->currentLabel(id);
        QVERIFY(current.ok() && !current->has_value());
        auto history = m_store->labelHistory(id);
        QVERIFY(history.ok());
        QCOMPARE(history->size(), size_t{3});
        QCOMPARE((*history)[0].verdict, std::string("good"));
        QCOMPARE((*history)[0].critique, std::string("fine"));
        QCOMPARE((*history)[1].author, std::string("bob"));
        QCOMPARE((*history)[2].verdict, std::string("cleared"));
        QVERIFY(all(Q([&](SearchQuery& s) { s.label = "labeled"; })).count(11) == 0);

        Label scored;
        scored.verdict = "score";
        QVERIFY(!m_store->setLabel(id, scored).ok());  // a score verdict needs a score
        Label nonsense;
        nonsense.verdict = "meh";
        QVERIFY(!m_store->setLabel(id, nonsense).ok());
        QVERIFY(!m_store->setLabel(99'999'999, good).ok());
    }

    void searchFilters() {
        // Labels for the label filter: 20, 21 good; 22 bad; 23 scored.
        Label l;
        l.verdict = "good";
        QVERIFY(m_store->setLabel(m_ids[20], l).ok());
        QVERIFY(m_store->setLabel(m_ids[21], l).ok());
        l.verdict = "bad";
        QVERIFY(m_store->setLabel(m_ids[22], l).ok());
        l.verdict = "score";
        l.score = 0.75;
        QVERIFY(m_store->setLabel(m_ids[23], l).ok());

        auto only = [](std::set<int> s) {
            s.erase(9999);  // the extra trace from the duplicate test
            std::set<int> out;
            for (int i : s)
                if (i >= 0 && i < kCount) out.insert(i);
            return out;
        };
        QCOMPARE(only(all(Q([&](SearchQuery& s) { s.formats = {"openai_chat"}; }))),
                 expected([](int i) { return i % 3 == 0; }));
        QCOMPARE(only(all(Q([&](SearchQuery& s) { s.sourcePrefix = "/data/sub/"; }))),
                 expected([](int i) { return i % 2 == 0; }));
        QCOMPARE(only(all(Q([&](SearchQuery& s) { s.models = {"gpt-4o"}; }))),
                 expected([](int i) { return i % 4 == 0; }));
        QCOMPARE(all(Q([&](SearchQuery& s) { s.label = "good"; })), (std::set<int>{20, 21}));
        QCOMPARE(all(Q([&](SearchQuery& s) { s.label = "bad"; })), (std::set<int>{22}));
        QCOMPARE(all(Q([&](SearchQuery& s) { s.label = "score"; })), (std::set<int>{23}));
        QCOMPARE(all(Q([&](SearchQuery& s) { s.label = "labeled"; })), (std::set<int>{20, 21, 22, 23}));
        QCOMPARE(only(all(Q([&](SearchQuery& s) { s.label = "unlabeled"; }))),
                 expected([](int i) { return i < 20 || i > 23; }));
        QCOMPARE(all(Q([&](SearchQuery& s) { s.tags = {"tenth"}; })),
                 expected([](int i) { return i % 10 == 0; }));
        QCOMPARE(all(Q([&](SearchQuery& s) {
                     s.tags = {"tenth", "even"};
                 })),
                 expected([](int i) { return i % 10 == 0; }));
        const int64_t base = 1'700'000'000'000;
        QCOMPARE(all(Q([&](SearchQuery& s) {
                     s.fromMs = base + 10'000;
                     s.toMs = base + 15'000;
                 })),
                 expected([](int i) { return i >= 10 && i < 15; }));
        QCOMPARE(only(all(Q([&](SearchQuery& s) { s.hasToolCalls = true; }))),
                 expected([](int i) { return i % 6 == 0; }));
        QCOMPARE(only(all(Q([&](SearchQuery& s) { s.hasToolCalls = false; }))),
                 expected([](int i) { return i % 6 != 0; }));
        // Length = system (16) + user ("question number N" + maybe " about zebras") + assistant.
        auto length = [](int i) {
            const Trace t = makeTrace(i);
            int64_t n = 0;
            for (const auto& m : t.messages) n += static_cast<int64_t>(m.content.size());
            return n;
        };
        const int64_t lo = length(12), hi = length(40);
        QCOMPARE(only(all(Q([&](SearchQuery& s) {
                     s.minLength = lo;
                     s.maxLength = hi;
                 }))),
                 expected([&](int i) { return length(i) >= lo && length(i) <= hi; }));
        QCOMPARE(all(Q([&](SearchQuery& s) { s.text = "zebras"; })),
                 expected([](int i) { return i % 5 == 0; }));
        QCOMPARE(all(Q([&](SearchQuery& s) {
                     s.text = "zebras";
                     s.models = {"gpt-4o"};
                 })),
                 expected([](int i) { return i % 20 == 0; }));
        QCOMPARE(all(Q([&](SearchQuery& s) { s.text = "question AND 17"; })), (std::set<int>{17}));
        QCOMPARE(all(Q([&](SearchQuery& s) { s.text = "zebras NOT 10"; })).count(10), size_t{0});
    }

    void sortAndPaging() {
        for (auto sort : {SearchQuery::Sort::Date, SearchQuery::Sort::Length, SearchQuery::Sort::Relevance}) {
            for (bool descending : {true, false}) {
                SearchQuery q;
                q.text = sort == SearchQuery::Sort::Relevance ? "question" : "";
                q.sort = sort;
                q.descending = descending;
                q.limit = 7;
                q.withTotal = true;
                std::vector<TraceSummary> seen;
                for (int pages = 0; pages < 100; ++pages) {
                    auto page = m_store->search(q);
                    QVERIFY2(page.ok(), page.ok() ? "" : page.error().message.c_str());
                    QVERIFY(page->rows.size() <= 7);
                    QVERIFY(page->total.has_value());
                    seen.insert(seen.end(), page->rows.begin(), page->rows.end());
                    if (page->nextCursor.empty()) break;
                    q.after = page->nextCursor;
                }
                std::set<int64_t> unique;
                for (const auto& r : seen) unique.insert(r.id);
                QCOMPARE(unique.size(), seen.size());  // no row twice across pages
                auto total = m_store->traceCount();
                if (sort != SearchQuery::Sort::Relevance) QCOMPARE(static_cast<int64_t>(seen.size()), *total);
                for (size_t i = 1; i < seen.size(); ++i) {
                    if (sort == SearchQuery::Sort::Relevance) continue;
                    const int64_t a =
                        sort == SearchQuery::Sort::Date ? seen[i - 1].sortTimeMs : seen[i - 1].totalLength;
                    const int64_t b =
                        sort == SearchQuery::Sort::Date ? seen[i].sortTimeMs : seen[i].totalLength;
                    QVERIFY(descending ? a >= b : a <= b);
                }
            }
        }
        // Offset paging gives the same rows as the cursor.
        SearchQuery q;
        q.limit = 5;
        q.offset = 5;
        auto second = m_store->search(q);
        q.offset = 0;
        auto first = m_store->search(q);
        q.after = first->nextCursor;
        auto viaCursor = m_store->search(q);
        QVERIFY(second.ok() && viaCursor.ok());
        QCOMPARE(indexesOf(second->rows), indexesOf(viaCursor->rows));
        QVERIFY(!second->rows.front().preview.empty());
        QVERIFY(second->rows.front().preview.find("question number") == 0);
        q.after = "k:garbage";
        QVERIFY(!m_store->search(q).ok());
    }

    void hostileFullTextQueriesDoNotFail() {
        const char* hostile[] = {"\"",
                                 "\"\"\"",
                                 "zebras\"",
                                 "AND",
                                 "OR OR",
                                 "NOT",
                                 "(",
                                 ")",
                                 "NEAR(",
                                 "*",
                                 "^",
                                 "col:zebras",
                                 "body:",
                                 "a - b",
                                 "'; DROP TABLE traces; --",
                                 "{x y}",
                                 "\\",
                                 "+++",
                                 "zeb*",
                                 "\xff\xfe",
                                 "\"unterminated phrase",
                                 "NEAR(a b, -1)",
                                 "zebras AND",
                                 ":"};
        for (const char* text : hostile) {
            SearchQuery q;
            q.text = text;
            q.sort = SearchQuery::Sort::Relevance;
            auto page = m_store->search(q);
            QVERIFY2(page.ok(), (std::string(text) + ": " + (page.ok() ? "" : page.error().message)).c_str());
        }
        // A quoted word still finds what the words say.
        SearchQuery q;
        q.text = "zebras\"";
        q.limit = 1000;
        auto page = m_store->search(q);
        QVERIFY(page.ok());
        QCOMPARE(indexesOf(page->rows), expected([](int i) { return i % 5 == 0; }));
        QCOMPARE(*m_store->traceCount(), int64_t{kCount + 2});  // nothing dropped
    }

    // Past 2000 matches the store switches plans (walks the date index, filters by
    // the match set); the rows must be the same ones the plain plan would give.
    void manyFullTextMatchesSortedByDate() {
        QTemporaryDir dir;
        auto db = Database::open(dir.filePath("many.sqlite").toStdString());
        QVERIFY(db.ok());
        TraceStore store(**db);
        std::vector<Trace> traces;
        for (int i = 0; i < 2500; ++i) {
            Trace t = makeTrace(i);
            t.startedAtMs = int64_t{1000} * ((i * 7919) % 2500);  // dates not in insertion order
            t.messages[1].content = (i % 5 == 4 ? "rare and common " : "common words ") + std::to_string(i);
            traces.push_back(std::move(t));
        }
        QVERIFY(store.insertBatch(traces).ok());
        for (bool descending : {true, false}) {
            for (const char* text : {"common", "rare"}) {
                SearchQuery q;
                q.text = text;
                q.descending = descending;
                q.models = {"llama-3"};
                q.limit = 25;
                std::vector<int64_t> got;
                for (int pages = 0; pages < 3; ++pages) {
                    auto page = store.search(q);
                    QVERIFY(page.ok());
                    for (const auto& r : page->rows) got.push_back(r.sortTimeMs);
                    q.after = page->nextCursor;
                }
                std::vector<int64_t> want;
                for (int i = 0; i < 2500; ++i) {
                    const bool match = std::string(text) == "common" || i % 5 == 4;
                    if (match && makeTrace(i).model == "llama-3")
                        want.push_back(int64_t{1000} * ((i * 7919) % 2500));
                }
                std::sort(want.begin(), want.end());
                if (descending) std::reverse(want.begin(), want.end());
                want.resize(75);
                QCOMPARE(got, want);
            }
        }
    }

    void datasetsAreVersioned() {
        SearchQuery q;
        q.tags = {"tenth"};
        auto v1 = m_store->createDataset("tenths", q, "every tenth");
        QVERIFY2(v1.ok(), v1.ok() ? "" : v1.error().message.c_str());
        QCOMPARE(v1->version, 1);
        QCOMPARE(v1->traceCount, int64_t{kCount / 10});
        auto v2 = m_store->createDatasetFromIds("tenths", {m_ids[1], m_ids[2]});
        QVERIFY(v2.ok());
        QCOMPARE(v2->version, 2);
        auto latest = m_store->dataset("tenths");
        QVERIFY(latest.ok());
        QCOMPARE(latest->version, 2);
        QCOMPARE(latest->traceCount, int64_t{2});
        auto first = m_store->dataset("tenths", 1);
        QVERIFY(first.ok());
        QCOMPARE(first->description, std::string("every tenth"));
        QCOMPARE(SearchQuery::fromJson(first->query).tags, std::vector<std::string>{"tenth"});
        auto ids = m_store->datasetTraceIds(first->id);
        QVERIFY(ids.ok());
        QCOMPARE(ids->size(), size_t{kCount / 10});
        auto list = m_store->listDatasets();
        QVERIFY(list.ok());
        QCOMPARE(list->size(), size_t{2});
        // Search within a dataset.
        QCOMPARE(all(Q([&](SearchQuery& s) { s.datasetId = v2->id; })), (std::set<int>{1, 2}));
        QVERIFY(!m_store->dataset("nope").ok());
        QVERIFY(!m_store->createDatasetFromIds("bad", {123456789}).ok());
        QVERIFY(!m_store->dataset("bad").ok());  // the failed one left nothing behind
    }
};

QTEST_GUILESS_MAIN(WorkspaceStoreTest)
#include "workspace_store_test.moc"
