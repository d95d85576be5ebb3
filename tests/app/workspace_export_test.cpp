// Exporter: SFT / preference / RFT lines from labelled traces, and the
// canonical round trip (import -> export -> import into a fresh workspace).
#include <QTemporaryDir>
#include <QtTest>
#include <fstream>
#include <sstream>

#include "workspace/exporter.h"
#include "workspace/import_runner.h"
#include "workspace/trace_json.h"
#include "workspace_test_parser.h"

using namespace crucible;
using nlohmann::json;

namespace {

Message msg(std::string role, std::string content) {
    Message m;
    m.role = std::move(role);
    m.content = std::move(content);
    return m;
}

Trace chat(const std::string& question, const std::string& answer, const std::string& raw) {
    Trace t;
    t.format = "openai_chat";
    t.raw = raw;
    t.messages = {msg("system", "be brief"), msg("user", question), msg("assistant", answer)};
    return t;
}

std::vector<json> parseLines(const std::string& text) {
    std::vector<json> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line))
        if (!line.empty()) out.push_back(json::parse(line));
    return out;
}

Label label(const char* verdict, std::optional<std::string> corrected = std::nullopt) {
    Label l;
    l.verdict = verdict;
    l.correctedAnswer = std::move(corrected);
    l.author = "tester";
    return l;
}

}  // namespace

class WorkspaceExportTest : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    std::unique_ptr<Database> m_db;
    std::unique_ptr<TraceStore> m_store;
    std::vector<int64_t> m_ids;

    std::string exportText(ExportFormat format, const SearchQuery& q = {}) {
        Exporter exporter(*m_store);
        std::ostringstream out;
        auto s = exporter.exportTo(q, format, out);
        if (!s) qFatal("%s", s.error().message.c_str());
        return out.str();
    }

private Q_SLOTS:
    void initTestCase() {
        auto db = Database::open(m_dir.filePath("w.sqlite").toStdString());
        QVERIFY(db.ok());
        m_db = std::move(*db);
        m_store = std::make_unique<TraceStore>(*m_db);
        Trace withTools = chat("weather in Oslo?", "", "r0");
        withTools.tools = json::parse(R"([{"type":"function","function":{"name":"weather"}}])");
        withTools.messages.back().toolCalls.push_back({"c1", "weather", "{\"city\":\"Oslo\"}"});
        withTools.messages.push_back(msg("tool", "rain"));
        withTools.messages.back().toolCallId = "c1";
        withTools.messages.push_back(msg("assistant", "It rains."));
        Trace dpo = chat("pick", "good pick", "r4");
        dpo.rejected = msg("assistant", "bad pick");
        Trace truth = chat("2+2?", "5", "r5");
        truth.groundTruth = "4";
        std::vector<Trace> traces = {withTools,
                                     chat("capital of France?", "Paris", "r1"),
                                     chat("capital of France?", "Lyon", "r2"),
                                     chat("spell cat", "kat", "r3"),
                                     dpo,
                                     truth};
        auto ins = m_store->insertBatch(traces);
        QVERIFY(ins.ok());
        m_ids = ins->ids;
        QVERIFY(m_store->setLabel(m_ids[1], label("good")).ok());
        QVERIFY(m_store->setLabel(m_ids[2], label("bad")).ok());
        QVERIFY(m_store->setLabel(m_ids[3], label("good")).ok());  // history: good, then bad + correction
        QVERIFY(m_store->setLabel(m_ids[3], label("bad", std::string("cat"))).ok());
        Label scored = label("score");
        scored.score = 0.25;
        scored.critique = "meh";
        QVERIFY(m_store->setLabel(m_ids[5], scored).ok());
    }

    void sft() {
        SearchQuery oldestFirst;
        oldestFirst.descending = false;  // all share one import time: id order
        const auto lines = parseLines(exportText(ExportFormat::Sft, oldestFirst));
        QCOMPARE(lines.size(), size_t{5});  // the "bad" uncorrected trace 2 is skipped
        const json& first = lines[0];
        QCOMPARE(first["tools"][0]["function"]["name"], json("weather"));
        QCOMPARE(first["messages"][2]["tool_calls"][0]["function"]["arguments"], json("{\"city\":\"Oslo\"}"));
        QVERIFY(!first["messages"][2].contains("content"));
        QCOMPARE(first["messages"][3]["tool_call_id"], json("c1"));
        bool sawCorrection = false;
        for (const json& l : lines) {
            QVERIFY(l["messages"].back()["content"] != json("Lyon"));
            if (l["messages"][1]["content"] == json("spell cat")) {
                QCOMPARE(l["messages"].back()["content"], json("cat"));
                sawCorrection = true;
            }
        }
        QVERIFY(sawCorrection);
    }

    void preference() {
        const auto lines = parseLines(exportText(ExportFormat::Preference));
        // corrected (spell cat), imported rejected (pick), good/bad pair (France).
        QCOMPARE(lines.size(), size_t{3});
        std::map<std::string, std::pair<std::string, std::string>> byQuestion;
        for (const json& l : lines) {
            QCOMPARE(l["input"]["messages"].back()["role"], json("user"));
            byQuestion[l["input"]["messages"].back()["content"].get<std::string>()] = {
                l["preferred_output"][0]["content"].get<std::string>(),
                l["non_preferred_output"][0]["content"].get<std::string>()};
        }
        QCOMPARE(byQuestion["spell cat"], std::make_pair(std::string("cat"), std::string("kat")));
        QCOMPARE(byQuestion["pick"], std::make_pair(std::string("good pick"), std::string("bad pick")));
        QCOMPARE(byQuestion["capital of France?"], std::make_pair(std::string("Paris"), std::string("Lyon")));
    }

    void rft() {
        const auto lines = parseLines(exportText(ExportFormat::Rft));
        std::map<std::string, json> refs;
        for (const json& l : lines) {
            QVERIFY(l["messages"].back()["role"] != json("assistant"));
            refs[l["messages"].back()["content"].get<std::string>()] = l["reference_answer"];
        }
        QCOMPARE(refs.size(), size_t{3});
        QCOMPARE(refs["2+2?"], json("4"));                    // ground truth
        QCOMPARE(refs["spell cat"], json("cat"));             // correction
        QCOMPARE(refs["capital of France?"], json("Paris"));  // a good answer
    }

    void canonicalRoundTrip() {
        // Import through the runner first, so the traces carry source files and lines.
        QTemporaryDir dir;
        const std::string jsonl = dir.filePath("in.jsonl").toStdString();
        {
            std::ofstream out(jsonl);
            for (int i = 0; i < 25; ++i) out << crucible::testing::openAiChatLine(i) << "\n";
        }
        ImportRunner runner(*m_db, crucible::testing::openAiChatParsers());
        ImportOptions options;
        options.paths = {jsonl};
        QVERIFY(runner.run(options).ok());
        QVERIFY(m_store->clearLabel(m_ids[1], "tester").ok());  // a cleared label is history too

        const std::string canonical = dir.filePath("export.jsonl").toStdString();
        {
            std::ofstream out(canonical);
            Exporter exporter(*m_store);
            auto s = exporter.exportTo(SearchQuery{}, ExportFormat::Canonical, out);
            QVERIFY(s.ok());
            QCOMPARE(s->written, int64_t{31});
        }
        QTemporaryDir fresh;
        auto db2 = Database::open(fresh.filePath("w.sqlite").toStdString());
        QVERIFY(db2.ok());
        // The built-in importers read the canonical format ("crucible").
        ImportRunner runner2(**db2, builtinRecordParsers());
        options.paths = {canonical};
        auto summary = runner2.run(options);
        QVERIFY(summary.ok());
        QCOMPARE(summary->total.imported, int64_t{31});
        QCOMPARE(summary->total.rejected, int64_t{0});
        TraceStore store2(**db2);
        SearchQuery all;
        all.sort = SearchQuery::Sort::Date;
        auto ids1 = m_store->searchIds(all);
        QVERIFY(ids1.ok());
        for (int64_t id1 : *ids1) {
            auto a = m_store->getTrace(id1);
            QVERIFY(a.ok() && a->has_value());
            auto id2 = store2.findByHash(traceContentHash((*a)->trace));
            QVERIFY(id2.ok() && id2->has_value());
            auto b = store2.getTrace(**id2);
            QVERIFY(b.ok() && b->has_value());
            QVERIFY2(sameTrace((*a)->trace, (*b)->trace), traceToJson((*b)->trace).dump().c_str());
            auto h1 = m_store->labelHistory(id1);
            auto h2 = store2.labelHistory(**id2);
            QVERIFY(h1.ok() && h2.ok());
            QCOMPARE(h1->size(), h2->size());
            for (size_t i = 0; i < h1->size(); ++i) {
                const Label &x = (*h1)[i], &y = (*h2)[i];
                QCOMPARE(x.verdict, y.verdict);
                QCOMPARE(x.score, y.score);
                QCOMPARE(x.critique, y.critique);
                QCOMPARE(x.correctedAnswer, y.correctedAnswer);
                QCOMPARE(x.author, y.author);
                QCOMPARE(x.createdAtMs, y.createdAtMs);
            }
            QCOMPARE((*a)->label.has_value(), (*b)->label.has_value());
        }
        // Importing the same export again adds neither traces nor labels.
        options.rescan = true;
        auto again = runner2.run(options);
        QVERIFY(again.ok());
        QCOMPARE(again->total.duplicates, int64_t{31});
        auto history =
            store2.labelHistory(*store2.findByHash(traceContentHash(chat("spell cat", "kat", "r3"))).value());
        QVERIFY(history.ok());
        QCOMPARE(history->size(), size_t{2});
    }

    void formatNames() {
        QCOMPARE(exportFormatFromName("dpo"), std::optional<ExportFormat>(ExportFormat::Preference));
        QVERIFY(!exportFormatFromName("parquet").has_value());
    }
};

QTEST_GUILESS_MAIN(WorkspaceExportTest)
#include "workspace_export_test.moc"
