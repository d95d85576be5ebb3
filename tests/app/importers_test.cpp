// Importers for OpenAI-shaped files (SFT, Chat Completions logs, DPO, RFT),
// ShareGPT, Alpaca and CSV, plus detection and the robustness rules
// (malformed lines, non-UTF-8 bytes, a 10 MB record).
#include "importers/importers.h"

#include <QFile>
#include <QtTest>

using namespace crucible;
using namespace crucible::importers;

namespace {

std::string readFixture(const char* name) {
    QFile file(QStringLiteral(CRUCIBLE_TEST_DATA_DIR "/data/importers/") + QString::fromUtf8(name));
    if (!file.open(QIODevice::ReadOnly)) qFatal("missing fixture %s", name);
    const QByteArray bytes = file.readAll();
    return std::string(bytes.constData(), static_cast<size_t>(bytes.size()));
}

struct LineResult {
    int line = 0;
    ParseOutcome outcome;
};

// Parses a JSONL fixture line by line, as the import runner does.
std::vector<LineResult> parseLines(const char* name, const std::string& format) {
    const std::string text = readFixture(name);
    std::vector<LineResult> results;
    int lineNo = 0;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t end = text.find('\n', pos);
        if (end == std::string::npos) end = text.size();
        const std::string_view line(text.data() + pos, end - pos);
        pos = end + 1;
        ++lineNo;
        if (line.empty()) continue;
        results.push_back({lineNo, parseRecord(format, line)});
    }
    return results;
}

bool anyErrorContains(const ParseOutcome& outcome, const char* needle) {
    for (const auto& e : outcome.errors) {
        if (e.find(needle) != std::string::npos) return true;
    }
    return false;
}

std::string joined(const std::vector<std::string>& errors) {
    std::string s;
    for (const auto& e : errors) s += e + " | ";
    return s;
}

}  // namespace

class TestImporters : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void openAiChatJsonl();
    void openAiChatErrors();
    void nonUtf8BytesKeptInRaw();
    void chatCompletionsLogs();
    void preferenceDpo();
    void reinforcementRows();
    void shareGptDocument();
    void alpacaRecords();
    void csvMapping();
    void csvSplitter();
    void detectFiles();
    void autoDetectPerLine();
    void tenMegabyteRecord();
    void hostileInputsDoNotCrash();
};

void TestImporters::openAiChatJsonl() {
    const auto results = parseLines("openai_chat.jsonl", "openai_chat");
    QVERIFY(results.size() >= 3);

    // Line 1: per-message weights, system + two user turns.
    const auto& first = results[0].outcome;
    QVERIFY2(first.errors.empty(), joined(first.errors).c_str());
    QCOMPARE(first.traces.size(), size_t(1));
    const Trace& t1 = first.traces[0];
    QCOMPARE(t1.format, std::string("openai_chat"));
    QCOMPARE(t1.messages.size(), size_t(5));
    QCOMPARE(t1.messages[0].role, std::string("system"));
    QCOMPARE(t1.messages[2].content, std::string("5"));
    QVERIFY(t1.messages[2].weight.has_value());
    QCOMPARE(*t1.messages[2].weight, 0.0);
    QCOMPARE(*t1.messages[4].weight, 1.0);
    QVERIFY(!t1.messages[1].weight.has_value());
    QVERIFY(t1.raw.rfind("{\"messages\":[{\"role\":\"system\"", 0) == 0);

    // Line 2: tool call with string arguments, tool result, tool definitions.
    const Trace& t2 = results[1].outcome.traces.at(0);
    QCOMPARE(t2.messages.size(), size_t(4));
    QCOMPARE(t2.messages[1].role, std::string("assistant"));
    QCOMPARE(t2.messages[1].content, std::string());
    QCOMPARE(t2.messages[1].toolCalls.size(), size_t(1));
    QCOMPARE(t2.messages[1].toolCalls[0].id, std::string("call_1"));
    QCOMPARE(t2.messages[1].toolCalls[0].name, std::string("get_weather"));
    QCOMPARE(t2.messages[1].toolCalls[0].arguments, std::string("{\"city\":\"Paris\"}"));
    QCOMPARE(t2.messages[2].role, std::string("tool"));
    QCOMPARE(t2.messages[2].toolCallId, std::string("call_1"));
    QCOMPARE(t2.messages[3].content, std::string("Rainy, 14°C."));
    QCOMPARE(t2.tools.size(), size_t(1));
    QCOMPARE(t2.tools[0]["function"]["name"].get<std::string>(), std::string("get_weather"));
    QCOMPARE(t2.metadata["parallel_tool_calls"].get<bool>(), false);

    // Line 3: developer -> system, content parts (text concatenated, image kept raw), extras kept.
    const Trace& t3 = results[2].outcome.traces.at(0);
    QCOMPARE(t3.messages[0].role, std::string("system"));
    QCOMPARE(t3.messages[0].content, std::string("Describe images."));
    QCOMPARE(t3.messages[0].parts.size(), size_t(2));
    const Message& user = t3.messages[1];
    QCOMPARE(user.content, std::string("What is this?"));
    QCOMPARE(user.parts.size(), size_t(2));
    QCOMPARE(user.parts[1].type, std::string("image_url"));
    QCOMPARE(user.parts[1].text, std::string());
    QCOMPARE(user.parts[1].raw["image_url"]["detail"].get<std::string>(), std::string("low"));
    QCOMPARE(t3.metadata["split"].get<std::string>(), std::string("train"));
    QVERIFY(t3.metadata["message_fields"].contains("2"));  // the assistant's "audio" key

    // Line 6: invalid JSON in arguments is kept verbatim (a labelling signal).
    const auto& bad = results[5].outcome;
    QCOMPARE(bad.traces.size(), size_t(1));
    QCOMPARE(bad.traces[0].messages[1].toolCalls[0].arguments, std::string("{not valid json"));
}

void TestImporters::openAiChatErrors() {
    const auto results = parseLines("openai_chat.jsonl", "openai_chat");
    // Line 4 is not JSON, line 5 lacks a role, line 8 has no known shape.
    const auto byLine = [&](int line) -> const ParseOutcome& {
        for (const auto& r : results) {
            if (r.line == line) return r.outcome;
        }
        qFatal("line %d missing", line);
    };
    QVERIFY(byLine(4).traces.empty());
    QVERIFY2(anyErrorContains(byLine(4), "line is not JSON"), joined(byLine(4).errors).c_str());
    QVERIFY(byLine(5).traces.empty());
    QVERIFY2(anyErrorContains(byLine(5), "messages[1].role missing"), joined(byLine(5).errors).c_str());
    QVERIFY(byLine(8).traces.empty());
    QVERIFY2(anyErrorContains(byLine(8), "messages missing"), joined(byLine(8).errors).c_str());
    QVERIFY(anyErrorContains(byLine(8), "answer, prompt"));

    // The same record in auto mode names its keys too.
    const ParseOutcome unknown = parseRecord("auto", R"({"foo":1,"bar":[2]})");
    QVERIFY(unknown.traces.empty());
    QVERIFY2(anyErrorContains(unknown, "bar, foo"), joined(unknown.errors).c_str());
    // Not an object at all.
    QVERIFY(anyErrorContains(parseRecord("auto", "[1,2]"), "array"));
    // Wrong content type.
    QVERIFY(anyErrorContains(parseRecord("openai_chat", R"({"messages":[{"role":"user","content":7}]})"),
                             "messages[0].content has unsupported type number"));
    QVERIFY(anyErrorContains(parseRecord("openai_chat", R"({"messages":[]})"), "messages is empty"));
    QVERIFY(anyErrorContains(parseRecord("no_such_format", R"({"messages":[]})"), "unknown format"));
}

void TestImporters::nonUtf8BytesKeptInRaw() {
    const auto results = parseLines("openai_chat.jsonl", "auto");
    const ParseOutcome& last = results.back().outcome;
    QVERIFY2(last.errors.empty(), joined(last.errors).c_str());
    const Trace& t = last.traces.at(0);
    QCOMPARE(t.messages[0].content, std::string("caf\xEF\xBF\xBD \xEF\xBF\xBD"));
    QCOMPARE(t.messages[1].content, std::string("ok \xC3\xA9"));
    QVERIFY(t.raw.find("caf\xe9 \xff") != std::string::npos);  // the original bytes survive in raw
}

void TestImporters::chatCompletionsLogs() {
    const auto results = parseLines("chat_log.jsonl", "openai_chat_log");
    QCOMPARE(results.size(), size_t(6));

    const auto& r1 = results[0].outcome;
    QVERIFY2(r1.errors.empty(), joined(r1.errors).c_str());
    const Trace& t = r1.traces.at(0);
    QCOMPARE(t.format, std::string("openai_chat_log"));
    QCOMPARE(t.model, std::string("gpt-4.1-mini-2025-04-14"));  // the response's model wins
    QCOMPARE(t.messages.size(), size_t(5));
    QCOMPARE(t.messages[1].content, std::string("Where is order 1042?"));
    QCOMPARE(t.messages[1].parts.size(), size_t(2));
    QCOMPARE(t.messages[2].toolCalls.at(0).name, std::string("get_order"));
    QCOMPARE(t.messages[3].toolCallId, std::string("call_7f2"));
    QCOMPARE(t.messages[4].role, std::string("assistant"));
    QCOMPARE(t.messages[4].content, std::string("Order 1042 shipped and should arrive on 4 March."));
    QCOMPARE(*t.promptTokens, int64_t(212));
    QCOMPARE(*t.completionTokens, int64_t(14));
    QCOMPARE(*t.startedAtMs, int64_t(1772359200000));
    QCOMPARE(*t.latencyMs, 1250.5);
    QCOMPARE(t.externalId, std::string("chatcmpl-9xYz"));
    QCOMPARE(t.logprobs.size(), size_t(2));
    QCOMPARE(t.logprobs[1].token, std::string(" 1042"));
    QCOMPARE(t.logprobs[1].logprob, -0.25);
    QCOMPARE(t.logprobs[1].tokenId, -1);
    QCOMPARE(t.tools.size(), size_t(1));
    QCOMPARE(t.metadata["request_params"]["temperature"].get<double>(), 0.2);
    QCOMPARE(t.metadata["finish_reason"].get<std::string>(), std::string("stop"));
    QCOMPARE(t.metadata["user_id"].get<std::string>(), std::string("u-17"));

    // Request body and response merged on one object; n=2 keeps the second choice.
    const Trace& t2 = results[1].outcome.traces.at(0);
    QCOMPARE(t2.messages.size(), size_t(2));
    QCOMPARE(t2.messages[1].content, std::string("Hi!"));
    QCOMPARE(t2.metadata["other_choices"].size(), size_t(1));
    QCOMPARE(*t2.completionTokens, int64_t(2));

    // A bare response: just the assistant answer.
    const Trace& t3 = results[2].outcome.traces.at(0);
    QCOMPARE(t3.messages.size(), size_t(1));
    QCOMPARE(t3.messages[0].role, std::string("assistant"));

    // Streamed chunks: tool-call argument fragments concatenated by index, usage from the last chunk.
    const auto& r4 = results[3].outcome;
    QVERIFY2(r4.errors.empty(), joined(r4.errors).c_str());
    const Trace& t4 = r4.traces.at(0);
    QCOMPARE(t4.messages.size(), size_t(2));
    QCOMPARE(t4.messages[1].toolCalls.size(), size_t(1));
    QCOMPARE(t4.messages[1].toolCalls[0].id, std::string("call_A"));
    QCOMPARE(t4.messages[1].toolCalls[0].arguments, std::string("{\"city\":\"Oslo\"}"));
    QCOMPARE(*t4.promptTokens, int64_t(9));
    QCOMPARE(t4.metadata["finish_reason"].get<std::string>(), std::string("tool_calls"));

    // OpenAI Batch output line ({custom_id, response{body}}).
    const Trace& t5 = results[4].outcome.traces.at(0);
    QCOMPARE(t5.model, std::string("gpt-4.1-nano"));
    QCOMPARE(t5.messages.back().content, std::string("Batch answer."));
    QCOMPARE(t5.metadata["custom_id"].get<std::string>(), std::string("req-3"));

    // choices of the wrong type is an error, not a crash.
    QVERIFY(results[5].outcome.traces.empty());
    QVERIFY(anyErrorContains(results[5].outcome, "response.choices is string"));
}

void TestImporters::preferenceDpo() {
    const auto results = parseLines("dpo.jsonl", "auto");
    const Trace& t = results.at(0).outcome.traces.at(0);
    QCOMPARE(t.format, std::string("openai_dpo"));
    QCOMPARE(t.messages.size(), size_t(3));
    QCOMPARE(t.messages[2].role, std::string("assistant"));
    QVERIFY(t.messages[2].content.rfind("A small set of low-rank", 0) == 0);
    QVERIFY(t.rejected.has_value());
    QVERIFY(t.rejected->content.rfind("LoRA is a long-range radio", 0) == 0);
    QCOMPARE(t.metadata["parallel_tool_calls"].get<bool>(), true);
    // Missing non_preferred_output is an error.
    QVERIFY(results.at(1).outcome.traces.empty());
    QVERIFY(anyErrorContains(results.at(1).outcome, "non_preferred_output missing"));
}

void TestImporters::reinforcementRows() {
    const auto results = parseLines("rft.jsonl", "auto");
    QCOMPARE(results.size(), size_t(3));
    const Trace& a = results[0].outcome.traces.at(0);
    QCOMPARE(a.format, std::string("openai_rft"));
    QCOMPARE(a.messages.back().role, std::string("user"));
    QCOMPARE(a.groundTruth.get<std::string>(), std::string("J20.9"));
    QCOMPARE(a.metadata["difficulty"].get<std::string>(), std::string("easy"));
    QCOMPARE(a.metadata["reference_answer"].get<std::string>(), std::string("J20.9"));

    const Trace& b = results[1].outcome.traces.at(0);
    QCOMPARE(b.groundTruth.get<std::string>(), std::string("<answer>391</answer>"));
    QCOMPARE(b.metadata["dataset"].get<std::string>(), std::string("three-digits"));

    // A scored eval-protocol row.
    const Trace& c = results[2].outcome.traces.at(0);
    QCOMPARE(c.format, std::string("openai_rft"));
    QCOMPARE(c.model, std::string("accounts/fireworks/models/qwen3-8b"));
    QCOMPARE(c.externalId, std::string("calm-otter-12"));
    QCOMPARE(*c.promptTokens, int64_t(31));
    QCOMPARE(*c.latencyMs, 1500.0);
    QCOMPARE(c.metadata["evaluation_result"]["score"].get<double>(), 1.0);
    QCOMPARE(c.messages.back().role, std::string("assistant"));
}

void TestImporters::shareGptDocument() {
    const std::string doc = readFixture("sharegpt.json");
    QCOMPARE(detectFileFormat("sharegpt.json", doc), std::string("json:sharegpt"));
    QVERIFY(!isLineFormat("json:sharegpt"));
    const ParseOutcome out = parseDocument("json:sharegpt", doc);
    QCOMPARE(out.traces.size(), size_t(3));
    QCOMPARE(out.errors.size(), size_t(1));
    QVERIFY2(anyErrorContains(out, "[3]: conversations[0].from missing"), joined(out.errors).c_str());

    const Trace& t = out.traces[0];
    QCOMPARE(t.format, std::string("sharegpt"));
    QCOMPARE(t.messages.size(), size_t(5));
    QCOMPARE(t.messages[0].role, std::string("system"));
    QCOMPARE(t.messages[0].content, std::string("You are a weather bot."));
    QCOMPARE(t.messages[1].role, std::string("user"));
    QCOMPARE(t.messages[2].role, std::string("assistant"));
    QCOMPARE(t.messages[2].toolCalls.at(0).name, std::string("get_weather"));
    QCOMPARE(nlohmann::json::parse(t.messages[2].toolCalls[0].arguments)["city"].get<std::string>(),
             std::string("Paris"));
    QCOMPARE(t.messages[3].role, std::string("tool"));
    QCOMPARE(t.messages[3].toolCallId, t.messages[2].toolCalls[0].id);
    QCOMPARE(t.messages[4].content, std::string("Rainy, 14°C."));
    QCOMPARE(t.tools.size(), size_t(1));
    QCOMPARE(t.tools[0]["function"]["description"].get<std::string>(), std::string("Get weather"));
    QCOMPARE(t.metadata["source"].get<std::string>(), std::string("handwritten"));
    // raw is the record's own JSON and parses back to it.
    QCOMPARE(nlohmann::json::parse(t.raw)["system"].get<std::string>(),
             std::string("You are a weather bot."));

    const Trace& pref = out.traces[2];
    QCOMPARE(pref.messages.back().content, std::string("Option A, because it is cheaper."));
    QVERIFY(pref.rejected.has_value());
    QCOMPARE(pref.rejected->content, std::string("Whatever."));
}

void TestImporters::alpacaRecords() {
    const auto results = parseLines("alpaca.jsonl", "alpaca");
    const Trace& t = results.at(0).outcome.traces.at(0);
    QCOMPARE(t.messages.size(), size_t(5));
    QCOMPARE(t.messages[0].role, std::string("system"));
    QCOMPARE(t.messages[1].content, std::string("Hi"));
    QCOMPARE(t.messages[2].content, std::string("Hello! Paste the ticket."));
    QCOMPARE(t.messages[3].content,
             std::string("Summarise the ticket.\nCustomer says the app crashes on login."));
    QCOMPARE(t.messages[4].role, std::string("assistant"));

    const Trace& t2 = results.at(1).outcome.traces.at(0);
    QCOMPARE(t2.messages.size(), size_t(2));
    QCOMPARE(t2.messages[0].content, std::string("Name a prime number."));  // no input: no trailing newline
    QCOMPARE(t2.metadata["category"].get<std::string>(), std::string("math"));

    const Trace& t3 = results.at(2).outcome.traces.at(0);
    QCOMPARE(t3.messages.back().content, std::string("Soft rain on the roof"));
    QCOMPARE(t3.rejected->content, std::string("Rain is wet."));

    QVERIFY(results.at(3).outcome.traces.empty());
    QVERIFY(anyErrorContains(results.at(3).outcome, "history[0] is not a [prompt, response] pair"));
}

void TestImporters::csvMapping() {
    const std::string text = readFixture("qa.csv");
    const std::string format = detectFileFormat("qa.csv", text);
    QVERIFY2(format.rfind("csv:", 0) == 0, format.c_str());
    QVERIFY(isLineFormat(format));
    const auto records = splitCsvRecords(text);
    QCOMPARE(records.size(), size_t(4));

    // The header record yields nothing.
    const ParseOutcome header = parseRecord(format, records[0]);
    QVERIFY(header.traces.empty() && header.errors.empty());

    const ParseOutcome r1 = parseRecord(format, records[1]);
    QVERIFY2(r1.errors.empty(), joined(r1.errors).c_str());
    const Trace& t = r1.traces.at(0);
    QCOMPARE(t.format, std::string("csv"));
    QCOMPARE(t.messages.size(), size_t(2));
    QCOMPARE(t.messages[0].content, std::string("What is 2+2?"));
    QCOMPARE(t.messages[1].content, std::string("4"));
    QCOMPARE(t.model, std::string("gpt-4.1-mini"));
    QCOMPARE(t.tags, (std::vector<std::string>{"math", "arith"}));
    QCOMPARE(t.metadata["difficulty"].get<std::string>(), std::string("easy"));

    const ParseOutcome quoted = parseRecord(format, records[2]);
    const Trace& q = quoted.traces.at(0);
    QCOMPARE(q.messages[0].content, std::string("Quote \"this\", please"));
    QCOMPARE(q.messages[1].content, std::string("He said \"hi\", then\nleft on a new line."));

    // Explicit mapping, completed with the header by withCsvHeader.
    const std::string explicitFormat =
        withCsvHeader("csv:prompt=answer,response=question,model=difficulty", text);
    const ParseOutcome swappedOut = parseRecord(explicitFormat, records[3]);
    const Trace& swapped = swappedOut.traces.at(0);
    QCOMPARE(swapped.messages[0].content, std::string("ok"));
    QCOMPARE(swapped.messages[1].content, std::string("Short, with comma"));
    QCOMPARE(swapped.model, std::string("medium"));

    // Index mapping needs no header; a bad column name is an error naming the header.
    const ParseOutcome byIndexOut = parseRecord("csv:prompt=1,response=0", "a,b");
    const Trace& byIndex = byIndexOut.traces.at(0);
    QCOMPARE(byIndex.messages[0].content, std::string("b"));
    const ParseOutcome bad = parseRecord(withCsvHeader("csv:prompt=nope", text), records[1]);
    QVERIFY(bad.traces.empty());
    QVERIFY2(anyErrorContains(bad, "prompt=nope names no column"), joined(bad.errors).c_str());
    QVERIFY(anyErrorContains(parseRecord(format, "only,two"), "csv record has 2 fields, header has 5"));
}

void TestImporters::csvSplitter() {
    const std::string text = "a,b\r\n\"x\r\ny\",\"z\"\"\"\r\n\r\nlast,\"\"";
    const auto records = splitCsvRecords(text);
    QCOMPARE(records.size(), size_t(3));
    QCOMPARE(std::string(records[1]), std::string("\"x\r\ny\",\"z\"\"\""));
    const auto fields = splitCsvFields(records[1]);
    QCOMPARE(fields.size(), size_t(2));
    QCOMPARE(fields[0], std::string("x\r\ny"));  // line breaks inside quotes are data (RFC 4180)
    QCOMPARE(fields[1], std::string("z\""));
    QCOMPARE(splitCsvFields(records[2]), (std::vector<std::string>{"last", ""}));
}

void TestImporters::detectFiles() {
    QCOMPARE(detectFileFormat("train.jsonl", readFixture("openai_chat.jsonl")), std::string("openai_chat"));
    QCOMPARE(detectFileFormat("logs.jsonl.gz", readFixture("chat_log.jsonl")),
             std::string("openai_chat_log"));
    QCOMPARE(detectFileFormat("prefs.jsonl", readFixture("dpo.jsonl")), std::string("openai_dpo"));
    QCOMPARE(detectFileFormat("rft.jsonl", readFixture("rft.jsonl")), std::string("openai_rft"));
    QCOMPARE(detectFileFormat("a.jsonl", readFixture("alpaca.jsonl")), std::string("alpaca"));
    QCOMPARE(detectFileFormat("x.txt", "hello"), std::string());
    QCOMPARE(detectFileFormat("x.jsonl", R"({"foo": 1})"), std::string());
    QCOMPARE(detectFileFormat("x.json", "[{\"instruction\":\"a\",\"output\":\"b\"}]"),
             std::string("json:alpaca"));
    // A pretty-printed single object is a document.
    QCOMPARE(detectFileFormat("one.json", "{\n  \"messages\": [\n {\"role\": \"user\""),
             std::string("json:openai_chat"));
    // A first record cut off by the head limit is still detected from its keys.
    QCOMPARE(detectFileFormat("big.jsonl", R"({"input":{"messages":[{"role":"user","content":"aaaa)"),
             std::string());  // no preferred_output key seen yet: unknown
    QCOMPARE(detectFileFormat("big.jsonl", R"({"conversations":[{"from":"human","value":"aaaa)"),
             std::string("sharegpt"));
    QVERIFY(isLineFormat("openai_chat"));
    QVERIFY(isLineFormat("auto"));
    QVERIFY(!isLineFormat("json:auto"));
    QVERIFY(!isLineFormat("bogus"));
    QVERIFY(formats().size() >= 10);
}

void TestImporters::autoDetectPerLine() {
    // Lines of different formats in one file, all read with "auto".
    const char* lines[] = {
        R"({"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"}]})",
        R"({"messages":[{"role":"user","content":"a"}],"ground_truth":"b"})",
        R"({"model":"m","messages":[{"role":"user","content":"a"}],"choices":[{"message":{"role":"assistant","content":"b"}}]})",
        R"({"conversations":[{"from":"human","value":"a"},{"from":"gpt","value":"b"}]})",
        R"({"instruction":"a","output":"b"})",
        R"({"input":{"messages":[{"role":"user","content":"a"}]},"preferred_output":[{"role":"assistant","content":"b"}],"non_preferred_output":[{"role":"assistant","content":"c"}]})",
    };
    const char* expected[] = {"openai_chat", "openai_rft", "openai_chat_log",
                              "sharegpt",    "alpaca",     "openai_dpo"};
    for (size_t i = 0; i < std::size(lines); ++i) {
        QCOMPARE(detectRecordFormat(lines[i]), std::string(expected[i]));
        const ParseOutcome out = parseRecord("auto", lines[i]);
        QVERIFY2(out.errors.empty(), joined(out.errors).c_str());
        QCOMPARE(out.traces.at(0).format, std::string(expected[i]));
        QCOMPARE(out.traces[0].messages.front().content, std::string("a"));
    }
    // A whole JSONL text handed to parseDocument is read line by line.
    const std::string jsonl = std::string(lines[0]) + "\n" + lines[3] + "\nnot json\n";
    const ParseOutcome doc = parseDocument("auto", jsonl);
    QCOMPARE(doc.traces.size(), size_t(2));
    QCOMPARE(doc.traces[1].sourceLine, int64_t(2));
    QVERIFY(anyErrorContains(doc, "line 3: line is not JSON"));
}

void TestImporters::tenMegabyteRecord() {
    // A generated 10 MB single record: one user message of ~10 MB.
    std::string big(10 * 1024 * 1024, 'x');
    for (size_t i = 0; i < big.size(); i += 97) big[i] = ' ';
    const std::string record =
        R"({"messages":[{"role":"user","content":")" + big + R"("},{"role":"assistant","content":"ok"}]})";
    QCOMPARE(detectFileFormat("big.jsonl", std::string_view(record).substr(0, 65536)),
             std::string("openai_chat"));
    const ParseOutcome out = parseRecord("auto", record);
    QVERIFY2(out.errors.empty(), joined(out.errors).c_str());
    QCOMPARE(out.traces.at(0).messages[0].content.size(), big.size());
    QCOMPARE(out.traces[0].raw.size(), record.size());
}

void TestImporters::hostileInputsDoNotCrash() {
    // Deep nesting is refused with a reason instead of exhausting the stack.
    const std::string deep = std::string(100000, '[') + std::string(100000, ']');
    QVERIFY(anyErrorContains(parseRecord("auto", deep), "nests deeper than"));
    QVERIFY(!parseDocument("auto", deep).errors.empty());
    // Every prefix length of every fixture: errors or traces, never a crash or an exception.
    const char* fixtures[] = {
        "openai_chat.jsonl",   "chat_log.jsonl",      "dpo.jsonl",       "rft.jsonl",
        "sharegpt.json",       "alpaca.jsonl",        "otlp_genai.json", "otlp_lines.jsonl",
        "langfuse_trace.json", "langsmith_runs.json", "qa.csv"};
    size_t outcomes = 0;
    for (const char* name : fixtures) {
        const std::string text = readFixture(name);
        const size_t step = std::max<size_t>(1, text.size() / 97);
        for (size_t n = 0; n <= text.size(); n += step) {
            const std::string_view prefix(text.data(), n);
            const ParseOutcome r = parseRecord("auto", prefix);
            const ParseOutcome d = parseDocument("json:auto", prefix);
            (void)detectFileFormat(name, prefix);
            outcomes += (r.traces.empty() && r.errors.empty() ? 0 : 1) +
                        (d.traces.empty() && d.errors.empty() ? 0 : 1);
        }
    }
    QVERIFY(outcomes > 0);
}

QTEST_GUILESS_MAIN(TestImporters)
#include "importers_test.moc"
