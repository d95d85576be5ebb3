// Importers of the second increment: Crucible canonical JSONL, the OpenAI
// Responses API, TRL dataset rows, OTLP logs and Langfuse CSV exports. Each
// format: detection, content, tool calls, malformed records.
#include <QFile>
#include <QtTest>

#include "importers/importers.h"
#include "workspace/trace_json.h"

using namespace crucible;
using namespace crucible::importers;

namespace {

std::string readFixture(const char* name) {
    QFile file(QStringLiteral(CRUCIBLE_TEST_DATA_DIR "/data/importers/") + QString::fromUtf8(name));
    if (!file.open(QIODevice::ReadOnly)) qFatal("missing fixture %s", name);
    const QByteArray bytes = file.readAll();
    return std::string(bytes.constData(), static_cast<size_t>(bytes.size()));
}

std::vector<std::string> fixtureLines(const char* name) {
    const std::string text = readFixture(name);
    std::vector<std::string> lines;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t end = text.find('\n', pos);
        if (end == std::string::npos) end = text.size();
        if (end > pos) lines.push_back(text.substr(pos, end - pos));
        pos = end + 1;
    }
    return lines;
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

class TestImportersExtra : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void canonicalDetection();
    void canonicalContentAndLabels();
    void canonicalMalformed();
    void canonicalRoundTripOfExporterLine();
    void responsesDetection();
    void responsesContent();
    void responsesToolCalls();
    void responsesMalformed();
    void trlDetection();
    void trlContent();
    void trlMalformed();
    void otlpLogsDetection();
    void otlpLogsLegacyEvents();
    void otlpLogsInferenceDetails();
    void otlpLogsMalformed();
    void langfuseCsvDetection();
    void langfuseCsvRows();
    void langfuseCsvUnknownLayout();
    void hostileInputsDoNotCrash();
};

void TestImportersExtra::canonicalDetection() {
    const std::string text = readFixture("crucible.jsonl");
    QCOMPARE(detectFileFormat("export.jsonl", text), std::string("crucible"));
    QCOMPARE(detectFileFormat("export.jsonl.gz", text), std::string("crucible"));
    const auto lines = fixtureLines("crucible.jsonl");
    QCOMPARE(detectRecordFormat(lines[0]), std::string("crucible"));
    QVERIFY(isLineFormat("crucible"));
    // The first key is enough, even when the head cuts the record off.
    QCOMPARE(detectFileFormat("x.jsonl", std::string_view(lines[0]).substr(0, 40)), std::string("crucible"));
}

void TestImportersExtra::canonicalContentAndLabels() {
    const auto lines = fixtureLines("crucible.jsonl");
    const ParseOutcome out = parseRecord("auto", lines[0]);
    QVERIFY2(out.errors.empty(), joined(out.errors).c_str());
    QCOMPARE(out.traces.size(), size_t(1));
    QVERIFY(out.keepsSource);
    const Trace& t = out.traces[0];
    // The original import's format, provenance and raw record survive.
    QCOMPARE(t.format, std::string("openai_chat"));
    QCOMPARE(t.sourceFile, std::string("/data/train.jsonl"));
    QCOMPARE(t.sourceLine, int64_t(7));
    QCOMPARE(t.raw, std::string("{\"messages\":[]}"));
    QCOMPARE(t.model, std::string("gpt-4.1-mini"));
    QCOMPARE(t.messages.size(), size_t(4));
    QCOMPARE(t.messages[1].toolCalls.size(), size_t(1));
    QCOMPARE(t.messages[1].toolCalls[0].id, std::string("call_1"));
    QCOMPARE(t.messages[1].toolCalls[0].name, std::string("get_weather"));
    QCOMPARE(t.messages[1].toolCalls[0].arguments, std::string("{\"city\":\"Paris\"}"));
    QCOMPARE(t.messages[2].toolCallId, std::string("call_1"));
    QCOMPARE(t.messages[3].content, std::string("Rainy, 14°C."));
    QCOMPARE(t.promptTokens, std::optional<int64_t>(212));
    QCOMPARE(t.tags, std::vector<std::string>{"prod"});
    QCOMPARE(t.metadata["split"].get<std::string>(), std::string("train"));
    // The label history, oldest first.
    QCOMPARE(out.labels.size(), size_t(1));
    QCOMPARE(out.labels[0].size(), size_t(2));
    QCOMPARE(out.labels[0][0].verdict, std::string("good"));
    QVERIFY(!out.labels[0][0].correctedAnswer.has_value());
    const Label& last = out.labels[0][1];
    QCOMPARE(last.verdict, std::string("bad"));
    QCOMPARE(last.critique, std::string("too terse"));
    QCOMPARE(last.correctedAnswer, std::optional<std::string>("It is rainy and 14°C in Paris."));
    QCOMPARE(last.author, std::string("ana"));
    QCOMPARE(last.createdAtMs, int64_t(1772370000000));

    // A trace without labels (and no "labels" key) still imports.
    const ParseOutcome plain = parseRecord("crucible", lines[4]);
    QVERIFY2(plain.errors.empty(), joined(plain.errors).c_str());
    QCOMPARE(plain.traces.at(0).format, std::string("csv"));
    QCOMPARE(plain.labels.size(), size_t(1));
    QVERIFY(plain.labels[0].empty());

    // Through parseDocument (the JSONL handed over whole) labels stay aligned
    // and canonical traces keep their own line numbers.
    const std::string text = readFixture("crucible.jsonl");
    const ParseOutcome doc = parseDocument("auto", text);
    QCOMPARE(doc.traces.size(), size_t(2));
    QCOMPARE(doc.labels.size(), size_t(2));
    QCOMPARE(doc.labels[0].size(), size_t(2));
    QVERIFY(doc.labels[1].empty());
    QCOMPARE(doc.traces[0].sourceLine, int64_t(7));
    QCOMPARE(doc.traces[1].sourceLine, int64_t(0));
    QVERIFY(doc.keepsSource);
}

void TestImportersExtra::canonicalMalformed() {
    const auto lines = fixtureLines("crucible.jsonl");
    const ParseOutcome version = parseRecord("auto", lines[1]);
    QVERIFY(version.traces.empty());
    QVERIFY2(anyErrorContains(version, "unsupported crucible_trace version 2"),
             joined(version.errors).c_str());
    const ParseOutcome noFormat = parseRecord("auto", lines[2]);
    QVERIFY(noFormat.traces.empty());
    QVERIFY2(anyErrorContains(noFormat, "'format'"), joined(noFormat.errors).c_str());
    const ParseOutcome badLabel = parseRecord("auto", lines[3]);
    QVERIFY(badLabel.traces.empty());
    QVERIFY2(anyErrorContains(badLabel, "labels[0] is string"), joined(badLabel.errors).c_str());
    QVERIFY(anyErrorContains(parseRecord("crucible", R"({"crucible_trace":1})"), "trace missing"));
    QVERIFY(anyErrorContains(
        parseRecord("crucible", R"({"crucible_trace":1,"trace":{"format":"x","messages":[]},"labels":{}})"),
        "labels is object"));
    QVERIFY(!parseRecord("crucible", "{\"crucible_trace\":1,").errors.empty());
}

void TestImportersExtra::canonicalRoundTripOfExporterLine() {
    // What the Exporter writes imports back to the same trace and labels.
    Trace t;
    t.format = "langfuse";
    t.sourceFile = "a.zip!obs.jsonl";
    t.sourceLine = 3;
    t.raw = R"({"id":"obs-1"})";
    t.model = "m";
    Message u;
    u.role = "user";
    u.content = "q";
    Message a;
    a.role = "assistant";
    a.toolCalls.push_back({"c1", "f", "{bad json"});
    t.messages = {u, a};
    t.latencyMs = 12.5;
    t.metadata["k"] = {1, 2};
    Label l;
    l.verdict = "score";
    l.score = 0.25;
    l.author = "me";
    l.createdAtMs = 5;
    const ParseOutcome out = parseRecord("auto", canonicalLine(t, {l}));
    QVERIFY2(out.errors.empty(), joined(out.errors).c_str());
    QVERIFY(sameTrace(out.traces.at(0), t));
    QCOMPARE(out.labels.at(0).at(0).score, std::optional<double>(0.25));
    QCOMPARE(out.labels[0][0].verdict, std::string("score"));
}

void TestImportersExtra::responsesDetection() {
    const auto lines = fixtureLines("responses.jsonl");
    QCOMPARE(detectFileFormat("responses.jsonl", readFixture("responses.jsonl")),
             std::string("openai_responses"));
    for (size_t i = 0; i < 4; ++i) QCOMPARE(detectRecordFormat(lines[i]), std::string("openai_responses"));
    // Chat Completions logs keep their importer; generic input/output pairs are not Responses records.
    QCOMPARE(detectRecordFormat(
                 R"({"request":{"model":"m","messages":[]},"response":{"object":"chat.completion"}})"),
             std::string("openai_chat_log"));
    QCOMPARE(detectRecordFormat(R"({"input":"a","output":"b"})"), std::string());
    // A forced chat-log format still reads a Responses record (same family).
    QCOMPARE(parseRecord("openai_chat_log", lines[0]).traces.at(0).format, std::string("openai_responses"));
}

void TestImportersExtra::responsesContent() {
    const auto lines = fixtureLines("responses.jsonl");
    const ParseOutcome out = parseRecord("auto", lines[0]);
    QVERIFY2(out.errors.empty(), joined(out.errors).c_str());
    const Trace& t = out.traces.at(0);
    QCOMPARE(t.format, std::string("openai_responses"));
    QCOMPARE(t.raw, lines[0]);
    QCOMPARE(t.externalId, std::string("resp_01"));
    QCOMPARE(t.model, std::string("gpt-5-mini-2025-08-07"));
    QCOMPARE(t.messages.size(), size_t(2));
    QCOMPARE(t.messages[0].role, std::string("system"));
    QCOMPARE(t.messages[0].content, std::string("You are a support agent for Acme."));
    // Reasoning and the message item form one assistant turn.
    const Message& answer = t.messages[1];
    QCOMPARE(answer.role, std::string("assistant"));
    QCOMPARE(answer.content, std::string("Order 1042 shipped."));
    QCOMPARE(answer.parts.size(), size_t(2));
    QCOMPARE(answer.parts[0].type, std::string("reasoning"));
    QCOMPARE(answer.parts[0].text, std::string("The user asks about an order."));
    QCOMPARE(answer.parts[0].raw["id"].get<std::string>(), std::string("rs_01"));
    QCOMPARE(answer.parts[1].type, std::string("output_text"));
    QCOMPARE(t.promptTokens, std::optional<int64_t>(212));
    QCOMPARE(t.completionTokens, std::optional<int64_t>(14));
    QCOMPARE(t.startedAtMs, std::optional<int64_t>(1772359200000));
    QCOMPARE(t.latencyMs, std::optional<double>(2000.0));
    QCOMPARE(t.metadata["status"].get<std::string>(), std::string("completed"));
    QCOMPARE(t.metadata["usage"]["output_tokens_details"]["reasoning_tokens"].get<int>(), 8);

    // A string input is one user turn; unknown item types are kept.
    const ParseOutcome simpleOut = parseRecord("auto", lines[2]);
    const Trace& simple = simpleOut.traces.at(0);
    QCOMPARE(simple.messages.size(), size_t(2));
    QCOMPARE(simple.messages[0].role, std::string("user"));
    QCOMPARE(simple.messages[0].content, std::string("Say hi"));
    QCOMPARE(simple.messages[1].content, std::string("Hi!"));
    QCOMPARE(simple.metadata["other_items"][0]["type"].get<std::string>(), std::string("web_search_call"));

    // A Batch API output line: the response is in response.body.
    const ParseOutcome batchOut = parseRecord("auto", lines[3]);
    const Trace& batch = batchOut.traces.at(0);
    QCOMPARE(batch.externalId, std::string("resp_03"));
    QCOMPARE(batch.messages.back().content, std::string("42"));
    QCOMPARE(batch.metadata["custom_id"].get<std::string>(), std::string("row-7"));
}

void TestImportersExtra::responsesToolCalls() {
    const auto lines = fixtureLines("responses.jsonl");
    const ParseOutcome out = parseRecord("auto", lines[1]);
    QVERIFY2(out.errors.empty(), joined(out.errors).c_str());
    const Trace& t = out.traces.at(0);
    // system, user, assistant(call_a), tool(call_a), user, assistant(call_b, call_c)
    QCOMPARE(t.messages.size(), size_t(6));
    QCOMPARE(t.messages[0].content, std::string("Use tools when needed."));
    QCOMPARE(t.messages[1].content, std::string("Weather in Paris and Rome?"));
    QCOMPARE(t.messages[2].role, std::string("assistant"));
    QCOMPARE(t.messages[2].toolCalls.size(), size_t(1));
    QCOMPARE(t.messages[2].toolCalls[0].id, std::string("call_a"));
    QCOMPARE(t.messages[3].role, std::string("tool"));
    QCOMPARE(t.messages[3].toolCallId, std::string("call_a"));
    QCOMPARE(t.messages[3].content, std::string("{\"temp_c\":14}"));
    QCOMPARE(t.messages[4].content, std::string("And Rome?"));
    const Message& calls = t.messages[5];
    QCOMPARE(calls.toolCalls.size(), size_t(2));
    QCOMPARE(calls.toolCalls[0].id, std::string("call_b"));  // call_id, not the item id
    QCOMPARE(calls.toolCalls[0].name, std::string("get_weather"));
    QCOMPARE(calls.toolCalls[0].arguments, std::string("{\"city\":\"Rome\"}"));
    QCOMPARE(calls.toolCalls[1].arguments, std::string("{bad json"));  // kept verbatim
    QCOMPARE(t.tools.size(), size_t(1));
    QCOMPARE(t.tools[0]["function"]["name"].get<std::string>(), std::string("get_weather"));
    QCOMPARE(t.model, std::string("gpt-4.1-mini-2025-04-14"));
    QCOMPARE(t.externalId, std::string("resp_02"));
}

void TestImportersExtra::responsesMalformed() {
    const auto lines = fixtureLines("responses.jsonl");
    const ParseOutcome notArray = parseRecord("auto", lines[4]);
    QVERIFY(notArray.traces.empty());
    QVERIFY2(anyErrorContains(notArray, "output is object, not an array of items"),
             joined(notArray.errors).c_str());
    const ParseOutcome noCallId = parseRecord("auto", lines[5]);
    QVERIFY(noCallId.traces.empty());
    QVERIFY2(anyErrorContains(noCallId, "input[1] (function_call_output) needs call_id"),
             joined(noCallId.errors).c_str());
    const ParseOutcome stray = parseRecord("auto", lines[6]);
    QVERIFY(stray.traces.empty());
    QVERIFY2(anyErrorContains(stray, "input[1] is string, not an object"), joined(stray.errors).c_str());
    const ParseOutcome empty = parseRecord("auto", lines[7]);
    QVERIFY(empty.traces.empty());
    QVERIFY2(anyErrorContains(empty, "no input and no output items"), joined(empty.errors).c_str());
    // The whole file: every good record imports, every bad one is reported by line.
    const ParseOutcome doc = parseDocument("openai_responses", readFixture("responses.jsonl"));
    QCOMPARE(doc.traces.size(), size_t(4));
    QCOMPARE(doc.errors.size(), size_t(4));
    QVERIFY(doc.errors[0].rfind("line 5: ", 0) == 0);
}

void TestImportersExtra::trlDetection() {
    const auto lines = fixtureLines("trl.jsonl");
    QCOMPARE(detectFileFormat("trl.jsonl", readFixture("trl.jsonl")), std::string("trl"));
    for (size_t i = 0; i < 8; ++i) QCOMPARE(detectRecordFormat(lines[i]), std::string("trl"));
    // TRL language-modelling rows are OpenAI chat rows; Alpaca and ShareGPT preference keep theirs.
    QCOMPARE(detectRecordFormat(
                 R"({"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"}]})"),
             std::string("openai_chat"));
    QCOMPARE(detectRecordFormat(R"({"instruction":"a","chosen":"b","rejected":"c"})"), std::string("alpaca"));
    QCOMPARE(
        detectRecordFormat(
            R"({"conversations":[{"from":"human","value":"a"}],"chosen":{"from":"gpt","value":"b"},"rejected":{"from":"gpt","value":"c"}})"),
        std::string("sharegpt"));
}

void TestImportersExtra::trlContent() {
    const auto lines = fixtureLines("trl.jsonl");
    std::vector<Trace> t;
    for (size_t i = 0; i < 8; ++i) {
        const ParseOutcome out = parseRecord("auto", lines[i]);
        QVERIFY2(out.errors.empty(), (std::to_string(i) + ": " + joined(out.errors)).c_str());
        QCOMPARE(out.traces.size(), size_t(1));
        QCOMPARE(out.traces[0].raw, lines[i]);
        t.push_back(out.traces[0]);
    }
    // Standard prompt-completion.
    QCOMPARE(t[0].messages.size(), size_t(2));
    QCOMPARE(t[0].messages[0].role, std::string("user"));
    QCOMPARE(t[0].messages[0].content, std::string("The sky is"));
    QCOMPARE(t[0].messages[1].role, std::string("assistant"));
    QCOMPARE(t[0].messages[1].content, std::string(" blue."));
    // Conversational prompt-completion.
    QCOMPARE(t[1].messages.size(), size_t(2));
    QCOMPARE(t[1].messages[1].content, std::string("It is blue."));
    // Preference, standard and conversational: chosen continues, rejected aside.
    for (int i : {2, 3}) {
        QCOMPARE(t[i].messages.size(), size_t(2));
        QVERIFY(t[i].rejected.has_value());
        QCOMPARE(t[i].rejected->role, std::string("assistant"));
    }
    QCOMPARE(t[2].messages[1].content, std::string(" blue."));
    QCOMPARE(t[2].rejected->content, std::string(" green."));
    QCOMPARE(t[3].rejected->content, std::string("It is green."));
    // Implicit prompt: the shared user turn becomes the prompt.
    QCOMPARE(t[4].messages.size(), size_t(2));
    QCOMPARE(t[4].messages[0].content, std::string("What color is the sky?"));
    QCOMPARE(t[4].messages[1].content, std::string("It is blue."));
    QCOMPARE(t[4].rejected->content, std::string("It is green."));
    QVERIFY(!t[4].metadata.contains("rejected_turns"));
    // Unpaired preference.
    QCOMPARE(t[5].metadata["label"], nlohmann::json(false));
    QVERIFY(!t[5].rejected.has_value());
    // Tool calls inside a conversational completion, with tool definitions.
    QCOMPARE(t[6].messages.size(), size_t(4));
    QCOMPARE(t[6].messages[1].toolCalls.at(0).id, std::string("call_1"));
    QCOMPARE(t[6].messages[1].toolCalls[0].name, std::string("get_weather"));
    QCOMPARE(t[6].messages[1].toolCalls[0].arguments, std::string("{\"city\":\"Paris\"}"));
    QCOMPARE(t[6].messages[2].toolCallId, std::string("call_1"));
    QCOMPARE(t[6].tools.size(), size_t(1));
    // Prompt only: a conversation awaiting the model.
    QCOMPARE(t[7].messages.size(), size_t(1));
    QCOMPARE(t[7].messages[0].role, std::string("user"));
}

void TestImportersExtra::trlMalformed() {
    const auto lines = fixtureLines("trl.jsonl");
    const auto check = [&](size_t line, const char* needle) {
        const ParseOutcome out = parseRecord("trl", lines[line]);
        QVERIFY(out.traces.empty());
        QVERIFY2(anyErrorContains(out, needle), joined(out.errors).c_str());
    };
    check(8, "rejected missing");
    check(9, "prompt is number, not a string or a list of messages");
    check(10, "label is string, not a bool");
    check(11, "share no prompt");
    check(12, "prompt[0].role missing");
    QVERIFY(anyErrorContains(parseRecord("trl", R"({"completion":"x"})"), "prompt missing"));
    const ParseOutcome doc = parseDocument("auto", readFixture("trl.jsonl"));
    QCOMPARE(doc.traces.size(), size_t(8));
    QCOMPARE(doc.errors.size(), size_t(5));
}

void TestImportersExtra::otlpLogsDetection() {
    const std::string text = readFixture("otlp_logs.jsonl");
    QCOMPARE(detectFileFormat("logs.jsonl", text), std::string("otlp_logs"));
    QCOMPARE(detectRecordFormat(fixtureLines("otlp_logs.jsonl")[0]), std::string("otlp_logs"));
    // Spans keep their importer.
    QCOMPARE(detectRecordFormat(R"({"resourceSpans":[]})"), std::string("otlp_genai"));
    QVERIFY(isLineFormat("otlp_logs"));
}

void TestImportersExtra::otlpLogsLegacyEvents() {
    const auto lines = fixtureLines("otlp_logs.jsonl");
    const ParseOutcome out = parseRecord("auto", lines[0]);
    QVERIFY2(out.errors.empty(), joined(out.errors).c_str());
    // Two calls (two span ids); the plain application log is skipped.
    QCOMPARE(out.traces.size(), size_t(2));
    const Trace& t = out.traces[0];
    QCOMPARE(t.format, std::string("otlp_logs"));
    QCOMPARE(t.externalId, std::string("eee19b7ec3c1b174"));
    QCOMPARE(t.metadata["trace_id"].get<std::string>(), std::string("5b8efff798038103d269b633813fc60c"));
    QCOMPARE(t.messages.size(), size_t(5));
    QCOMPARE(t.messages[0].role, std::string("system"));
    QCOMPARE(t.messages[1].content, std::string("Where is order 1042?"));
    QCOMPARE(t.messages[2].role, std::string("assistant"));
    QCOMPARE(t.messages[2].toolCalls.size(), size_t(1));
    QCOMPARE(t.messages[2].toolCalls[0].id, std::string("call_7f2"));
    QCOMPARE(t.messages[2].toolCalls[0].name, std::string("get_order"));
    QCOMPARE(t.messages[2].toolCalls[0].arguments, std::string("{\"order_id\":\"1042\"}"));
    QCOMPARE(t.messages[3].role, std::string("tool"));
    QCOMPARE(t.messages[3].toolCallId, std::string("call_7f2"));
    QCOMPARE(t.messages[4].role, std::string("assistant"));
    QCOMPARE(t.messages[4].content, std::string("It shipped."));
    QCOMPARE(t.model, std::string("gpt-4.1-mini-2025-04-14"));
    QCOMPARE(t.metadata["provider"].get<std::string>(), std::string("openai"));
    QCOMPARE(t.metadata["finish_reasons"][0].get<std::string>(), std::string("stop"));
    QCOMPARE(t.startedAtMs, std::optional<int64_t>(1772359200000));
    QCOMPARE(t.endedAtMs, std::optional<int64_t>(1772359201250));
    QCOMPARE(t.metadata["resource"]["service.name"].get<std::string>(), std::string("support-bot"));
    // raw holds just this call's records: it re-imports to the same trace.
    const ParseOutcome again = parseRecord("auto", t.raw);
    QCOMPARE(again.traces.size(), size_t(1));
    QCOMPARE(again.traces[0].messages.size(), size_t(5));
    QVERIFY(t.raw.find("cache miss") == std::string::npos);

    // eventName field (newer SDKs); choice 1 is kept aside.
    const Trace& second = out.traces[1];
    QCOMPARE(second.messages.size(), size_t(2));
    QCOMPARE(second.messages[1].content, std::string("Hi!"));
    QCOMPARE(second.metadata["other_choices"][0]["message"]["content"].get<std::string>(),
             std::string("Hello!"));

    // Records without trace context: a call ends at its choice.
    const ParseOutcome noIds = parseRecord("otlp_logs", lines[1]);
    QVERIFY2(noIds.errors.empty(), joined(noIds.errors).c_str());
    QCOMPARE(noIds.traces.size(), size_t(2));
    QCOMPARE(noIds.traces[0].messages.back().content, std::string("4"));
    QCOMPARE(noIds.traces[1].messages.front().content, std::string("3+3?"));
    QCOMPARE(noIds.traces[1].messages.back().content, std::string("6"));
}

void TestImportersExtra::otlpLogsInferenceDetails() {
    const ParseOutcome out = parseRecord("auto", fixtureLines("otlp_logs.jsonl")[2]);
    QVERIFY2(out.errors.empty(), joined(out.errors).c_str());
    QCOMPARE(out.traces.size(), size_t(1));
    const Trace& t = out.traces[0];
    QCOMPARE(t.messages.size(), size_t(2));
    QCOMPARE(t.messages[0].content, std::string("Weather in Paris?"));
    QCOMPARE(t.messages[1].toolCalls.size(), size_t(1));
    QCOMPARE(t.messages[1].toolCalls[0].id, std::string("call_1"));
    QCOMPARE(t.messages[1].toolCalls[0].name, std::string("get_weather"));
    QCOMPARE(nlohmann::json::parse(t.messages[1].toolCalls[0].arguments),
             nlohmann::json({{"city", "Paris"}}));
    QCOMPARE(t.model, std::string("gpt-4.1-mini"));
    QCOMPARE(t.promptTokens, std::optional<int64_t>(212));
    QCOMPARE(t.completionTokens, std::optional<int64_t>(14));
}

void TestImportersExtra::otlpLogsMalformed() {
    const auto lines = fixtureLines("otlp_logs.jsonl");
    const ParseOutcome plain = parseRecord("auto", lines[3]);
    QVERIFY(plain.traces.empty());
    QVERIFY2(anyErrorContains(plain, "no GenAI event among 2 log records"), joined(plain.errors).c_str());
    const ParseOutcome notArray = parseRecord("auto", lines[4]);
    QVERIFY(notArray.traces.empty());
    QVERIFY2(anyErrorContains(notArray, "resourceLogs missing or not an array"),
             joined(notArray.errors).c_str());
    const ParseOutcome doc = parseDocument("otlp_logs", readFixture("otlp_logs.jsonl"));
    QCOMPARE(doc.traces.size(), size_t(5));
    QCOMPARE(doc.errors.size(), size_t(2));
}

namespace {

// Parses a CSV text record by record with the format detection would give.
ParseOutcome parseCsvText(const std::string& fileName, const std::string& text,
                          std::string* format = nullptr) {
    const std::string detected = detectFileFormat(fileName, text);
    if (format) *format = detected;
    ParseOutcome all;
    for (std::string_view record : splitCsvRecords(text)) {
        ParseOutcome one = parseRecord(detected, record);
        for (auto& t : one.traces) all.traces.push_back(std::move(t));
        for (auto& e : one.errors) all.errors.push_back(std::move(e));
    }
    return all;
}

}  // namespace

void TestImportersExtra::langfuseCsvDetection() {
    const std::string text = readFixture("langfuse_observations.csv");
    const std::string format = detectFileFormat("observations.csv", text);
    QVERIFY2(format.rfind("csv:langfuse;header=", 0) == 0, format.c_str());
    QVERIFY(isLineFormat(format));
    // A traces-table export is recognised too; an ordinary CSV stays generic.
    QVERIFY(detectFileFormat("traces.csv", "id,timestamp,name,input,output,sessionId,userId\n")
                .rfind("csv:langfuse", 0) == 0);
    QVERIFY(detectFileFormat("qa.csv", "question,answer\n").rfind("csv:header=", 0) == 0);
}

void TestImportersExtra::langfuseCsvRows() {
    const std::string text = readFixture("langfuse_observations.csv");
    const ParseOutcome out = parseCsvText("observations.csv", text);
    // Three GENERATION rows; the SPAN row is skipped; the short row is rejected.
    QCOMPARE(out.traces.size(), size_t(3));
    QCOMPARE(out.errors.size(), size_t(1));
    QVERIFY2(anyErrorContains(out, "csv record has 4 fields, header has 17"), joined(out.errors).c_str());
    const Trace& t = out.traces[0];
    QCOMPARE(t.format, std::string("langfuse_csv"));
    QVERIFY(t.raw.rfind("obs-7a1,tr-39c,GENERATION,", 0) == 0);
    QCOMPARE(t.externalId, std::string("obs-7a1"));
    QCOMPARE(t.model, std::string("gpt-4.1-mini"));
    QCOMPARE(t.messages.size(), size_t(3));
    QCOMPARE(t.messages[0].role, std::string("system"));
    QCOMPARE(t.messages[1].content, std::string("Where is order 1042?"));
    QCOMPARE(t.messages[2].role, std::string("assistant"));
    QCOMPARE(t.messages[2].content, std::string("It shipped.\nArrives Wednesday."));
    QCOMPARE(t.promptTokens, std::optional<int64_t>(212));
    QCOMPARE(t.completionTokens, std::optional<int64_t>(14));
    QCOMPARE(t.latencyMs, std::optional<double>(1250.0));
    QCOMPARE(t.metadata["metadata"]["env"].get<std::string>(), std::string("prod"));
    QCOMPARE(t.metadata["modelParameters"]["max_tokens"].get<int>(), 512);
    // Tool calls and tool definitions from JSON cells.
    const Trace& tools = out.traces[1];
    QCOMPARE(tools.tools.size(), size_t(1));
    QCOMPARE(tools.messages.back().toolCalls.size(), size_t(1));
    QCOMPARE(tools.messages.back().toolCalls[0].id, std::string("call_9"));
    QCOMPARE(tools.messages.back().toolCalls[0].arguments, std::string("{\"order_id\":\"7\"}"));
    // Plain-text cells, one spanning two lines.
    const Trace& plain = out.traces[2];
    QCOMPARE(plain.messages.size(), size_t(2));
    QCOMPARE(plain.messages[0].content, std::string("Say hi"));
    QCOMPARE(plain.messages[1].content, std::string("Hi!\nSee you."));

    // A traces table: each row is one trace from its own input/output.
    const ParseOutcome traces =
        parseCsvText("traces.csv",
                     "id,timestamp,name,input,output,sessionId,userId,tags\n"
                     "tr-1,2026-03-01T10:15:00.000Z,chat,\"{\"\"messages\"\":[{\"\"role\"\":\"\"user\"\","
                     "\"\"content\"\":\"\"q\"\"}]}\",a,s1,u1,\"prod,beta\"\n");
    QVERIFY2(traces.errors.empty(), joined(traces.errors).c_str());
    QCOMPARE(traces.traces.size(), size_t(1));
    QCOMPARE(traces.traces[0].messages.size(), size_t(2));
    QCOMPARE(traces.traces[0].messages[0].content, std::string("q"));
    QCOMPARE(traces.traces[0].tags, (std::vector<std::string>{"prod", "beta"}));
}

void TestImportersExtra::langfuseCsvUnknownLayout() {
    // Looks like Langfuse (traceId, type) but has no input/output: every row says why.
    const ParseOutcome out =
        parseRecord("csv:langfuse;header=[\"traceId\",\"type\",\"value\"]", "tr-1,SCORE,0.5");
    QVERIFY(out.traces.empty());
    QVERIFY2(anyErrorContains(out, "not a Langfuse CSV layout this importer knows"),
             joined(out.errors).c_str());
    // Forcing csv:langfuse onto an unrelated CSV is rejected the same way.
    const ParseOutcome forced = parseRecord("csv:langfuse;header=[\"question\",\"answer\"]", "a,b");
    QVERIFY(anyErrorContains(forced, "not a Langfuse CSV layout"));
}

namespace {

// Every path of objects/arrays in `value`, as JSON pointers.
void collectPointers(const nlohmann::json& value, const std::string& at, std::vector<std::string>& out) {
    if (value.is_object()) {
        for (auto it = value.begin(); it != value.end(); ++it) {
            out.push_back(at + "/" + it.key());
            collectPointers(it.value(), at + "/" + it.key(), out);
        }
    } else if (value.is_array()) {
        for (size_t i = 0; i < value.size(); ++i) {
            out.push_back(at + "/" + std::to_string(i));
            collectPointers(value[i], at + "/" + std::to_string(i), out);
        }
    }
}

}  // namespace

void TestImportersExtra::hostileInputsDoNotCrash() {
    // Every prefix of every fixture, and every value of every JSON record
    // replaced by each wrong type: errors or traces, never a crash.
    size_t outcomes = 0;
    for (const char* name : {"crucible.jsonl", "responses.jsonl", "trl.jsonl", "otlp_logs.jsonl"}) {
        const std::string text = readFixture(name);
        const size_t step = std::max<size_t>(1, text.size() / 97);
        for (size_t n = 0; n <= text.size(); n += step) {
            const std::string_view prefix(text.data(), n);
            const ParseOutcome r = parseRecord("auto", prefix);
            const ParseOutcome d = parseDocument("auto", prefix);
            (void)detectFileFormat(name, prefix);
            outcomes += (r.traces.empty() && r.errors.empty() ? 0 : 1) +
                        (d.traces.empty() && d.errors.empty() ? 0 : 1);
        }
        for (const std::string& line : fixtureLines(name)) {
            const nlohmann::json record = nlohmann::json::parse(line);
            const std::string format = detectRecordFormat(line);
            std::vector<std::string> pointers;
            collectPointers(record, "", pointers);
            for (const std::string& pointer : pointers) {
                for (const nlohmann::json& wrong : {nlohmann::json(5), nlohmann::json(), nlohmann::json("x"),
                                                    nlohmann::json::array(), nlohmann::json::object()}) {
                    nlohmann::json mutated = record;
                    mutated[nlohmann::json::json_pointer(pointer)] = wrong;
                    const ParseOutcome r = parseRecord(format.empty() ? "auto" : format, mutated.dump());
                    outcomes += r.traces.empty() && r.errors.empty() ? 0 : 1;
                }
            }
        }
    }
    const std::string csv = readFixture("langfuse_observations.csv");
    const std::string format = detectFileFormat("o.csv", csv);
    for (size_t n = 0; n <= csv.size(); n += 7) (void)parseRecord(format, std::string_view(csv.data(), n));
    QVERIFY(outcomes > 0);
}

QTEST_GUILESS_MAIN(TestImportersExtra)
#include "importers_extra_test.moc"
