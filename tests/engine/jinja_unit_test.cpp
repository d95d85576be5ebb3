// Unit tests of the Jinja interpreter: semantics the goldens do not isolate
// (limits, error locations, undefined handling, sandbox mutability, JSON).
#include <gtest/gtest.h>

#include <string>

#include "engine/jinja.h"
#include "engine/jinja_value.h"

using engine::jinja::Options;
using engine::jinja::Value;

namespace {

std::string render(const std::string& src, const Value& ctx = Value::dict(), const Options& opt = {}) {
    auto r = engine::jinja::render_template(src, ctx, opt);
    EXPECT_TRUE(r.ok()) << src << " -> " << (r.ok() ? "" : r.error().message);
    return r.ok() ? *r : std::string("<error>");
}

std::string error_of(const std::string& src, const Value& ctx = Value::dict(), const Options& opt = {}) {
    auto r = engine::jinja::render_template(src, ctx, opt);
    EXPECT_FALSE(r.ok()) << src << " rendered " << (r.ok() ? *r : "");
    return r.ok() ? std::string() : r.error().message;
}

Options hf_options() {
    Options o;
    o.trim_blocks = o.lstrip_blocks = true;
    return o;
}

}  // namespace

TEST(JinjaWhitespace, TrimBlocksRemovesOnlyTheFirstNewlineAfterABlockTag) {
    Options o;
    o.trim_blocks = true;
    EXPECT_EQ(render("{% if true %}\n\nx{% endif %}", Value::dict(), o), "\nx");
    EXPECT_EQ(render("{{ 'v' }}\nx", Value::dict(), o), "v\nx");  // expression tags keep their newline
    EXPECT_EQ(render("{% if true %}\nx{% endif %}"), "\nx");      // off by default, as in Jinja
}

TEST(JinjaWhitespace, LstripBlocksOnlyStripsIndentationOnTheTagLine) {
    Options o;
    o.lstrip_blocks = true;
    EXPECT_EQ(render("a\n    {% if true %}b{% endif %}", Value::dict(), o), "a\nb");
    EXPECT_EQ(render("a    {% if true %}b{% endif %}", Value::dict(), o), "a    b");  // text before the tag
    EXPECT_EQ(render("a\n    {{ 'b' }}", Value::dict(), o), "a\n    b");              // not for {{ }}
}

TEST(JinjaWhitespace, DashAndPlusModifiers) {
    EXPECT_EQ(render("a \n {%- if true -%} \n b {%- endif %}"), "ab");
    EXPECT_EQ(render("a\n  {%+ if true %}b{% endif %}", Value::dict(), hf_options()), "a\n  b");
    EXPECT_EQ(render("{% if true +%}\nb{% endif %}", Value::dict(), hf_options()), "\nb");
    EXPECT_EQ(render("x\n", Value::dict()), "x");  // one trailing newline is dropped
    Options keep;
    keep.keep_trailing_newline = true;
    EXPECT_EQ(render("x\n", Value::dict(), keep), "x\n");
}

TEST(JinjaValues, IntsFloatsBoolsAndNonePrintLikePython) {
    EXPECT_EQ(
        render(
            "{{ 3 }} {{ 3.0 }} {{ 6 / 2 }} {{ 7 // 2 }} {{ 0.1 }} {{ 1e16 }} {{ 1e-5 }} {{ 123456789.5 }}"),
        "3 3.0 3.0 3 0.1 1e+16 1e-05 123456789.5");
    EXPECT_EQ(render("{{ true }} {{ false }} {{ none }} {{ [true, none, 'x'] }}"),
              "True False None [True, None, 'x']");
    EXPECT_EQ(engine::jinja::format_float(-0.0), "-0.0");
    EXPECT_EQ(engine::jinja::format_float(1.0 / 3.0), "0.3333333333333333");
    EXPECT_EQ(engine::jinja::format_float(1e22), "1e+22");
}

TEST(JinjaValues, DictsKeepInsertionOrder) {
    EXPECT_EQ(render("{% set d = {'z': 1, 'a': 2, 'm': 3} %}{% for k in d %}{{ k }}{% endfor %}"), "zam");
    auto parsed = engine::jinja::parse_json(R"({"z": 1, "a": [true, null, 1.5, "é"], "m": {}})");
    ASSERT_TRUE(parsed.ok());
    auto dumped = engine::jinja::to_json(*parsed);
    ASSERT_TRUE(dumped.ok());
    EXPECT_EQ(*dumped, R"({"z": 1, "a": [true, null, 1.5, "é"], "m": {}})");
}

TEST(JinjaUndefined, PrintsEmptyAndFailsOnlyWhenUsed) {
    EXPECT_EQ(render("[{{ missing }}]{{ missing is defined }}{{ missing is undefined }}"), "[]FalseTrue");
    EXPECT_EQ(render("{% set x = missing %}{{ x | default('d') }}"), "d");
    EXPECT_EQ(render("{% set d = {'a': 1} %}[{{ d.b }}]{{ d.b is defined }}"), "[]False");
    EXPECT_NE(error_of("{{ missing.attr }}").find("'missing' is undefined"), std::string::npos);
    EXPECT_NE(error_of("{{ missing + 1 }}").find("'missing' is undefined"), std::string::npos);
    EXPECT_EQ(render("{% for x in missing %}x{% endfor %}{{ missing | length }}"), "0");
}

TEST(JinjaScoping, SetInsideLoopIsLocalButNamespaceIsShared) {
    const std::string src =
        "{% set count = 0 %}{% set ns = namespace(count=0) %}"
        "{% for i in [1, 2, 3] %}{% set count = count + i %}{% set ns.count = ns.count + i %}{% endfor %}"
        "{{ count }} {{ ns.count }}";
    EXPECT_EQ(render(src), "0 6");
    EXPECT_EQ(render("{% if true %}{% set y = 5 %}{% endif %}{{ y }}"), "5");
    EXPECT_EQ(render("{% macro m() %}{% set z = 1 %}{{ z }}{% endmacro %}{{ m() }}[{{ z }}]"), "1[]");
    EXPECT_NE(error_of("{% set s = 'x' %}{% set s.attr = 1 %}").find("non-namespace"), std::string::npos);
}

TEST(JinjaSandbox, MutatingMethodsAreRefusedUnlessTheSandboxIsMutable) {
    EXPECT_NE(error_of("{% set l = [1] %}{{ l.append(2) }}").find("unsafe"), std::string::npos);
    Value ctx = Value::dict();
    Value list = Value::list({Value(1)});
    ctx.set("l", list);
    Options mutable_opt;
    mutable_opt.immutable = false;
    EXPECT_EQ(render("{% set _ = l.append(2) %}{{ l }} {{ l.pop() }}", ctx, mutable_opt), "[1, 2] 2");
    EXPECT_EQ(list.items().size(), 1u);  // the caller's data is never modified
}

TEST(JinjaLimits, LoopsRecursionOutputAndRangeAreBounded) {
    Options o;
    o.limits.max_loop_iterations = 1000;
    EXPECT_NE(error_of("{% for i in range(100) %}{% for j in range(100) %}{% endfor %}{% endfor %}",
                       Value::dict(), o)
                  .find("iteration limit"),
              std::string::npos);
    EXPECT_EQ(render("{% for i in range(10) %}{% for j in range(10) %}{% endfor %}{% endfor %}ok",
                     Value::dict(), o),
              "ok");

    EXPECT_NE(error_of("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}").find("call depth"),
              std::string::npos);

    Options small;
    small.limits.max_output_bytes = 100;
    EXPECT_NE(error_of("{% for i in range(50) %}0123456789{% endfor %}", Value::dict(), small)
                  .find("output exceeds"),
              std::string::npos);
    EXPECT_NE(error_of("{{ 'ab' * 1000 }}", Value::dict(), small).find("limit"), std::string::npos);
    EXPECT_NE(error_of("{{ range(1000000) | length }}").find("range too big"), std::string::npos);

    std::string deep(2000, '(');
    deep += "1" + std::string(2000, ')');
    auto r = engine::jinja::Template::parse("{{ " + deep + " }}");
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("nesting"), std::string::npos);
}

TEST(JinjaErrors, SyntaxErrorsNameLineAndColumn) {
    auto r = engine::jinja::Template::parse("line one\n{{ a }}\n  {% if %}");
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("syntax error at line 3, column 9"), std::string::npos)
        << r.error().message;
    auto unclosed = engine::jinja::Template::parse("{% for x in y %}\nbody");
    ASSERT_FALSE(unclosed.ok());
    EXPECT_NE(unclosed.error().message.find("endfor"), std::string::npos) << unclosed.error().message;
    auto unknown = engine::jinja::Template::parse("{% include 'x.html' %}");
    ASSERT_FALSE(unknown.ok());
    EXPECT_NE(unknown.error().message.find("not supported"), std::string::npos);
}

TEST(JinjaErrors, RuntimeErrorsNameTheLine) {
    const std::string msg = error_of("a\nb\n{{ 'x' + 1 }}");
    EXPECT_NE(msg.find("[jinja] line 3"), std::string::npos) << msg;
    EXPECT_NE(msg.find("can only concatenate str (not \"int\") to str"), std::string::npos) << msg;
    const std::string raised = error_of("\n{{ raise_exception('Roles must alternate') }}");
    EXPECT_NE(raised.find("line 2: raise_exception: Roles must alternate"), std::string::npos) << raised;
    // Unknown filters and tests fail at parse time, even in branches never taken (as in Jinja).
    EXPECT_NE(error_of("{% if false %}{{ 1 | nosuch }}{% endif %}").find("no filter named 'nosuch'"),
              std::string::npos);
    EXPECT_NE(error_of("{{ 1 is nosuch }}").find("no test named 'nosuch'"), std::string::npos);
}

TEST(JinjaTemplate, ParsesOnceAndRendersManyContexts) {
    auto t = engine::jinja::Template::parse("Hello {{ name | default('nobody') }}!");
    ASSERT_TRUE(t.ok());
    Value a = Value::dict();
    a.set("name", Value("Ann"));
    EXPECT_EQ(*t->render(a), "Hello Ann!");
    EXPECT_EQ(*t->render(Value::dict()), "Hello nobody!");
    EXPECT_EQ(*t->render(Value()), "Hello nobody!");
    EXPECT_FALSE(t->render(Value::list()).ok());
}

TEST(JinjaGlobals, StrftimeNowUsesTheInjectedClock) {
    Options o;
    o.now = [] { return static_cast<std::time_t>(1699963200); };  // 2023-11-14 12:00 UTC
    EXPECT_EQ(render("{{ strftime_now('%Y-%m') }}", Value::dict(), o), "2023-11");
}

TEST(JinjaJson, StrictParserRejectsMalformedInputWithOffsets) {
    for (const char* bad :
         {"{", "[1,]", "{'a': 1}", "01", "1.", "\"\\x\"", "[1] 2", "tru", "\"a\nb\"", "\"\\ud800\""}) {
        auto r = engine::jinja::parse_json(bad);
        ASSERT_FALSE(r.ok()) << bad;
        EXPECT_NE(r.error().message.find("byte offset"), std::string::npos) << r.error().message;
    }
    auto s = engine::jinja::parse_json(R"("\u00e9\ud83d\ude00\n\"")");
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(s->as_string(), "é😀\n\"");
    auto n = engine::jinja::parse_json("[9223372036854775807, 9223372036854775808, -0, 2.5e3]");
    ASSERT_TRUE(n.ok());
    EXPECT_TRUE(n->items()[0].is_int());
    EXPECT_TRUE(n->items()[1].is_float());  // beyond int64
    EXPECT_TRUE(n->items()[2].is_int());
    EXPECT_DOUBLE_EQ(n->items()[3].as_double(), 2500.0);
}

TEST(JinjaJson, DumpsLikePythonJsonDumps) {
    auto v = engine::jinja::parse_json(R"({"b": [1, {"c": "😀"}], "a": []})");
    ASSERT_TRUE(v.ok());
    engine::jinja::JsonDumpOptions ascii;
    ascii.ensure_ascii = true;
    EXPECT_EQ(*engine::jinja::to_json(*v, ascii), R"({"b": [1, {"c": "\ud83d\ude00"}], "a": []})");
    engine::jinja::JsonDumpOptions pretty;
    pretty.indent = 2;
    pretty.sort_keys = true;
    EXPECT_EQ(*engine::jinja::to_json(*v, pretty),
              "{\n  \"a\": [],\n  \"b\": [\n    1,\n    {\n      \"c\": \"😀\"\n    }\n  ]\n}");
    EXPECT_FALSE(engine::jinja::to_json(Value()).ok());
}
