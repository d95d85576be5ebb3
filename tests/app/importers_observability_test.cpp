// Importers for observability exports: OTLP JSON / JSONL (current GenAI
// semconv, OpenLLMetry flattened attributes, OpenInference, the oldest span
// events), Langfuse and LangSmith.
#include <QFile>
#include <QtTest>

#include "importers/importers.h"

using namespace crucible;
using namespace crucible::importers;

namespace {

std::string readFixture(const char* name) {
    QFile file(QStringLiteral(CRUCIBLE_TEST_DATA_DIR "/data/importers/") + QString::fromUtf8(name));
    if (!file.open(QIODevice::ReadOnly)) qFatal("missing fixture %s", name);
    const QByteArray bytes = file.readAll();
    return std::string(bytes.constData(), static_cast<size_t>(bytes.size()));
}

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t end = text.find('\n', pos);
        if (end == std::string::npos) end = text.size();
        if (end > pos) out.push_back(text.substr(pos, end - pos));
        pos = end + 1;
    }
    return out;
}

std::string joined(const std::vector<std::string>& errors) {
    std::string s;
    for (const auto& e : errors) s += e + " | ";
    return s;
}

bool anyErrorContains(const ParseOutcome& outcome, const char* needle) {
    for (const auto& e : outcome.errors) {
        if (e.find(needle) != std::string::npos) return true;
    }
    return false;
}

}  // namespace

class TestImportersObservability : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void otlpCurrentAndLegacy();
    void otlpJsonLines();
    void langfuseExports();
    void langSmithRuns();
};

void TestImportersObservability::otlpCurrentAndLegacy() {
    const std::string doc = readFixture("otlp_genai.json");
    const std::string format = detectFileFormat("traces.json", doc);
    QCOMPARE(format, std::string("json:otlp_genai"));
    const ParseOutcome out = parseDocument(format, doc);
    QVERIFY2(out.errors.empty(), joined(out.errors).c_str());
    // Two chat spans + one legacy span; the agent and tool spans are not inference calls.
    QCOMPARE(out.traces.size(), size_t(3));

    const Trace& chat = out.traces[0];
    QCOMPARE(chat.format, std::string("otlp_genai"));
    QCOMPARE(chat.externalId, std::string("eee19b7ec3c1b174"));
    QCOMPARE(chat.model, std::string("gpt-4.1-mini-2025-04-14"));
    QCOMPARE(chat.messages.size(), size_t(3));
    QCOMPARE(chat.messages[0].role, std::string("system"));
    QCOMPARE(chat.messages[0].content, std::string("You are a support agent for Acme."));
    QCOMPARE(chat.messages[1].content, std::string("Where is order 1042?"));
    QCOMPARE(chat.messages[1].parts.size(), size_t(2));
    QCOMPARE(chat.messages[1].parts[1].type, std::string("uri"));
    const Message& answer = chat.messages[2];
    QCOMPARE(answer.role, std::string("assistant"));
    QCOMPARE(answer.toolCalls.size(), size_t(1));
    QCOMPARE(answer.toolCalls[0].id, std::string("call_7f2"));
    QCOMPARE(nlohmann::json::parse(answer.toolCalls[0].arguments)["order_id"].get<std::string>(),
             std::string("1042"));
    QCOMPARE(answer.parts.at(0).type, std::string("reasoning"));
    QCOMPARE(answer.parts[0].text, std::string("Need the order."));
    QCOMPARE(*chat.promptTokens, int64_t(212));
    QCOMPARE(*chat.completionTokens, int64_t(14));
    QCOMPARE(*chat.startedAtMs, int64_t(1772359200000));
    QCOMPARE(*chat.endedAtMs, int64_t(1772359201250));
    QCOMPARE(*chat.latencyMs, 1250.0);
    QCOMPARE(chat.tools.size(), size_t(1));
    QCOMPARE(chat.tools[0]["function"]["name"].get<std::string>(), std::string("get_order"));
    QCOMPARE(chat.metadata["provider"].get<std::string>(), std::string("openai"));
    QCOMPARE(chat.metadata["attributes"]["gen_ai.request.temperature"].get<double>(), 0.2);
    QVERIFY(!chat.metadata["attributes"].contains("gen_ai.input.messages"));
    QCOMPARE(chat.metadata["resource"]["service.name"].get<std::string>(), std::string("support-bot"));
    // Nested spans: the parent agent span and the child tool span.
    QCOMPARE(chat.metadata["parent_span_id"].get<std::string>(), std::string("a000000000000001"));
    QCOMPARE(chat.metadata["parent_span_name"].get<std::string>(), std::string("invoke_agent support"));
    QCOMPARE(chat.metadata["child_spans"].size(), size_t(1));
    QCOMPARE(chat.metadata["child_spans"][0]["name"].get<std::string>(),
             std::string("execute_tool get_order"));
    // raw is a TracesData with just this span: it re-imports to the same trace.
    const ParseOutcome again = parseRecord("otlp_genai", chat.raw);
    QCOMPARE(again.traces.size(), size_t(1));
    QCOMPARE(again.traces[0].messages.size(), chat.messages.size());
    QCOMPARE(again.traces[0].externalId, chat.externalId);

    // Structured (kvlist) input with a tool_call_response part ("result" spelling); n=2 output.
    const Trace& second = out.traces[1];
    QCOMPARE(second.messages.size(), size_t(2));
    QCOMPARE(second.messages[0].role, std::string("tool"));
    QCOMPARE(second.messages[0].toolCallId, std::string("call_7f2"));
    QCOMPARE(second.messages[0].content, std::string("{\"status\":\"shipped\"}"));
    QCOMPARE(second.messages[1].content, std::string("It shipped."));
    QCOMPARE(second.metadata["other_choices"].size(), size_t(1));
    QCOMPARE(second.model, std::string("gpt-4.1-mini"));

    // OpenLLMetry flattened attributes, legacy names, base64 ids, numeric nanos.
    const Trace& legacy = out.traces[2];
    QCOMPARE(legacy.externalId, std::string("b7ad6b7169203331"));
    QCOMPARE(legacy.metadata["trace_id"].get<std::string>(), std::string("0af7651916cd43dd8448eb211c80319c"));
    QCOMPARE(legacy.messages.size(), size_t(3));
    QCOMPARE(legacy.messages[0].role, std::string("system"));
    QCOMPARE(legacy.messages[1].content, std::string("Weather in Rome?"));
    QCOMPARE(legacy.messages[2].toolCalls.at(0).name, std::string("get_weather"));
    QCOMPARE(legacy.messages[2].toolCalls[0].arguments, std::string("{\"city\": \"Rome\"}"));
    QCOMPARE(*legacy.promptTokens, int64_t(30));
    QCOMPARE(*legacy.completionTokens, int64_t(12));
    QCOMPARE(*legacy.latencyMs, 500.0);
    QCOMPARE(legacy.model, std::string("gpt-4o"));
    QCOMPARE(legacy.metadata["provider"].get<std::string>(), std::string("OpenAI"));
    QCOMPARE(legacy.tools.at(0)["function"]["name"].get<std::string>(), std::string("get_weather"));
    QCOMPARE(legacy.tools[0]["function"]["parameters"]["type"].get<std::string>(), std::string("object"));
    QVERIFY(legacy.metadata["attributes"]["vendor.custom"].get<bool>());
}

void TestImportersObservability::otlpJsonLines() {
    const std::string text = readFixture("otlp_lines.jsonl");
    QCOMPARE(detectFileFormat("spans.jsonl", text), std::string("otlp_genai"));
    QVERIFY(isLineFormat("otlp_genai"));
    const auto ls = lines(text);
    QCOMPARE(ls.size(), size_t(5));

    // OpenInference: LLM span under a CHAIN span.
    const ParseOutcome oi = parseRecord("otlp_genai", ls[0]);
    QVERIFY2(oi.errors.empty(), joined(oi.errors).c_str());
    QCOMPARE(oi.traces.size(), size_t(1));
    const Trace& t = oi.traces[0];
    QCOMPARE(t.model, std::string("gpt-4.1-mini"));
    QCOMPARE(t.messages.size(), size_t(3));
    QCOMPARE(t.messages[0].content, std::string("You multiply."));
    QCOMPARE(t.messages[1].content, std::string("what is 23 times 87"));
    QCOMPARE(t.messages[1].parts.size(), size_t(2));
    QCOMPARE(t.messages[1].parts[1].type, std::string("image"));
    QCOMPARE(t.messages[2].toolCalls.at(0).name, std::string("multiply"));
    QCOMPARE(t.messages[2].toolCalls[0].id, std::string("call_m1"));
    QCOMPARE(t.messages[2].toolCalls[0].arguments, std::string("{\"a\": 23, \"b\": 87}"));
    QCOMPARE(*t.promptTokens, int64_t(229));
    QCOMPARE(*t.completionTokens, int64_t(21));
    QCOMPARE(*t.costUsd, 0.00042);
    QCOMPARE(t.tags, (std::vector<std::string>{"math", "demo"}));
    QCOMPARE(t.tools.at(0)["function"]["name"].get<std::string>(), std::string("multiply"));
    QCOMPARE(t.metadata["parent_span_name"].get<std::string>(), std::string("RAG pipeline"));

    // Oldest convention: span events with Python-repr JSON.
    const ParseOutcome old = parseRecord("auto", ls[1]);
    QVERIFY2(old.errors.empty(), joined(old.errors).c_str());
    const Trace& o = old.traces.at(0);
    QCOMPARE(o.format, std::string("otlp_genai"));
    QCOMPARE(o.messages.size(), size_t(2));
    QCOMPARE(o.messages[0].content, std::string("Tell me a joke, it's Friday"));
    QCOMPARE(o.messages[1].role, std::string("assistant"));
    QCOMPARE(o.messages[1].content, std::string("Why did the chicken cross the road?"));
    QCOMPARE(*o.promptTokens, int64_t(8));

    QVERIFY(parseRecord("otlp_genai", ls[2]).traces.empty());
    QVERIFY(anyErrorContains(parseRecord("otlp_genai", ls[2]), "line is not JSON"));

    // Content capture off: a trace with measurements and no messages is fine.
    const ParseOutcome quiet = parseRecord("otlp_genai", ls[3]);
    QVERIFY2(quiet.errors.empty(), joined(quiet.errors).c_str());
    QCOMPARE(quiet.traces.at(0).messages.size(), size_t(0));
    QCOMPARE(*quiet.traces[0].promptTokens, int64_t(50));
    QCOMPARE(quiet.traces[0].metadata["content_captured"].get<bool>(), false);

    // No inference span at all: an error naming the spans.
    const ParseOutcome none = parseRecord("otlp_genai", ls[4]);
    QVERIFY(none.traces.empty());
    QVERIFY2(anyErrorContains(none, "no GenAI inference span among 1 spans (GET /health)"),
             joined(none.errors).c_str());
}

void TestImportersObservability::langfuseExports() {
    // Single-trace download: trace + observations + scores.
    const std::string doc = readFixture("langfuse_trace.json");
    const std::string format = detectFileFormat("trace-tr-39c.json", doc);
    QCOMPARE(format, std::string("json:langfuse"));
    const ParseOutcome out = parseDocument(format, doc);
    QVERIFY2(out.errors.empty(), joined(out.errors).c_str());
    QCOMPARE(out.traces.size(), size_t(1));  // one GENERATION; the SPAN is not a model call
    const Trace& t = out.traces[0];
    QCOMPARE(t.format, std::string("langfuse"));
    QCOMPARE(t.externalId, std::string("obs-7a1"));
    QCOMPARE(t.model, std::string("gpt-4.1-mini"));
    QCOMPARE(t.messages.size(), size_t(3));
    QCOMPARE(t.messages[0].role, std::string("system"));
    QCOMPARE(t.messages[2].role, std::string("assistant"));
    QCOMPARE(t.messages[2].content, std::string("It shipped."));
    QCOMPARE(*t.promptTokens, int64_t(212));
    QCOMPARE(*t.completionTokens, int64_t(14));
    QCOMPARE(*t.costUsd, 0.0021);
    QCOMPARE(*t.startedAtMs, int64_t(1772360100000));  // 2026-03-01T10:15:00Z
    QCOMPARE(*t.latencyMs, 1250.0);
    QCOMPARE(t.metadata["time_to_first_token_ms"].get<int64_t>(), int64_t(420));
    QCOMPARE(t.metadata["parentObservationId"].get<std::string>(), std::string("obs-root"));
    QCOMPARE(t.metadata["modelParameters"]["max_tokens"].get<int>(), 512);
    QCOMPARE(t.tags, (std::vector<std::string>{"prod", "support"}));
    QCOMPARE(t.metadata["trace"]["sessionId"].get<std::string>(), std::string("sess-1"));
    // Scores of this observation and of the whole trace, not of other observations.
    QCOMPARE(t.metadata["scores"].size(), size_t(2));
    QCOMPARE(t.metadata["scores"][0]["name"].get<std::string>(), std::string("helpfulness"));
    QCOMPARE(t.metadata["scores"][1]["name"].get<std::string>(), std::string("resolved"));

    // Observations export as JSONL: string and {messages, tools} inputs, skipped SPANs, a cut line.
    const auto ls = lines(readFixture("langfuse_observations.jsonl"));
    QCOMPARE(detectFileFormat("observations.jsonl", ls[0]), std::string("langfuse"));
    const ParseOutcome a = parseRecord("langfuse", ls[0]);
    QVERIFY2(a.errors.empty(), joined(a.errors).c_str());
    const Trace& plan = a.traces.at(0);
    QCOMPARE(plan.messages.size(), size_t(2));
    QCOMPARE(plan.messages[1].content, std::string("Day 1: Rome."));
    QCOMPARE(plan.tools.size(), size_t(1));
    QCOMPARE(*plan.promptTokens, int64_t(40));
    QCOMPARE(*plan.costUsd, 0.0005);
    QCOMPARE(*plan.startedAtMs, int64_t(1772359200000));  // 11:00+01:00 = 10:00Z
    QCOMPARE(*plan.latencyMs, 2000.0);
    const ParseOutcome span = parseRecord("auto", ls[1]);
    QVERIFY(span.traces.empty() && span.errors.empty());
    const ParseOutcome summarised = parseRecord("auto", ls[2]);
    const Trace& sum = summarised.traces.at(0);
    QCOMPARE(sum.format, std::string("langfuse"));
    QCOMPARE(sum.messages[0].role, std::string("user"));
    QCOMPARE(sum.messages[0].content, std::string("Summarise: the cat sat."));
    QCOMPARE(sum.messages[1].content, std::string("A cat sat."));
    QCOMPARE(*sum.completionTokens, int64_t(3));
    QVERIFY(anyErrorContains(parseRecord("langfuse", ls[3]), "line is not JSON"));
}

void TestImportersObservability::langSmithRuns() {
    const std::string doc = readFixture("langsmith_runs.json");
    const std::string format = detectFileFormat("runs.json", doc);
    QCOMPARE(format, std::string("json:langsmith"));
    const ParseOutcome out = parseDocument(format, doc);
    QVERIFY2(out.errors.empty(), joined(out.errors).c_str());
    QCOMPARE(out.traces.size(), size_t(3));  // the chain run is skipped

    const Trace& a = out.traces[0];
    QCOMPARE(a.format, std::string("langsmith"));
    QCOMPARE(a.externalId, std::string("8b1c2f0e-6a1d-4b7e-9a51-2f3c7d6e9a10"));
    QCOMPARE(a.model, std::string("gpt-4.1-mini"));
    QCOMPARE(a.messages.size(), size_t(2));
    QCOMPARE(a.messages[1].content, std::string("It shipped."));
    QCOMPARE(*a.promptTokens, int64_t(212));
    QCOMPARE(*a.completionTokens, int64_t(14));
    QCOMPARE(*a.latencyMs, 1077.0);  // timestamps kept in whole ms: 10:15:00.223 -> 10:15:01.300
    QCOMPARE(a.tags, (std::vector<std::string>{"prod"}));
    QVERIFY(a.metadata["dotted_order"].get<std::string>().find("8b1c2f0e") != std::string::npos);
    QCOMPARE(a.metadata["parent_run_id"].get<std::string>(),
             std::string("3f2a9c14-0b5e-4c1a-8d2e-7e6f5a4b3c21"));

    // Serialized LangChain messages with tool calls; generations output; usage inside the message.
    const Trace& b = out.traces[1];
    QCOMPARE(b.model, std::string("claude-3-5-haiku"));
    QCOMPARE(b.messages.size(), size_t(5));
    QCOMPARE(b.messages[0].role, std::string("system"));
    QCOMPARE(b.messages[1].content, std::string("Weather in Oslo?"));
    QCOMPARE(b.messages[2].toolCalls.at(0).name, std::string("get_weather"));
    QCOMPARE(b.messages[2].toolCalls[0].id, std::string("toolu_01"));
    QCOMPARE(nlohmann::json::parse(b.messages[2].toolCalls[0].arguments)["city"].get<std::string>(),
             std::string("Oslo"));
    QCOMPARE(b.messages[3].role, std::string("tool"));
    QCOMPARE(b.messages[3].toolCallId, std::string("toolu_01"));
    QCOMPARE(b.messages[4].content, std::string("Snowy, -3°C."));
    QCOMPARE(*b.promptTokens, int64_t(120));
    QCOMPARE(*b.costUsd, 0.00031);
    QCOMPARE(*b.latencyMs, 2500.0);

    // A completion LLM: prompts list, text generations, llm_output.token_usage.
    const Trace& c = out.traces[2];
    QCOMPARE(c.messages.size(), size_t(2));
    QCOMPARE(c.messages[0].content, std::string("Complete: roses are"));
    QCOMPARE(c.messages[1].content, std::string(" red."));
    QCOMPARE(*c.completionTokens, int64_t(2));

    // The same runs as JSONL lines.
    QCOMPARE(detectRecordFormat(R"({"run_type":"llm","inputs":{}})"), std::string("langsmith"));
    const ParseOutcome chain = parseRecord("langsmith", R"({"run_type":"chain","inputs":{"x":1}})");
    QVERIFY(chain.traces.empty() && chain.errors.empty());
}

QTEST_GUILESS_MAIN(TestImportersObservability)
#include "importers_observability_test.moc"
