// Byte-for-byte comparison with goldens rendered by jinja2 / transformers
// (tests/tools/gen_template_goldens.py writes tests/golden/templates/*.json).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "engine/chat_template.h"
#include "engine/jinja.h"

using engine::jinja::Value;

namespace {

Value load_golden(const std::string& name) {
    const std::string path = std::string(CRUCIBLE_TEST_DATA_DIR) + "/golden/templates/" + name;
    std::ifstream in(path, std::ios::binary);
    EXPECT_TRUE(in.good()) << "missing golden file " << path;
    std::stringstream ss;
    ss << in.rdbuf();
    auto v = engine::jinja::parse_json(ss.str());
    EXPECT_TRUE(v.ok()) << (v.ok() ? "" : v.error().message);
    return v.ok() ? *v : Value::list();
}

std::string field(const Value& d, const char* key) {
    const Value* v = d.find(key);
    return v && v->is_string() ? v->as_string() : std::string();
}

}  // namespace

TEST(JinjaGolden, InterpreterCasesMatchJinja2) {
    const Value cases = load_golden("jinja_cases.json");
    ASSERT_GT(cases.items().size(), 50u);
    int errors_checked = 0;
    for (const Value& c : cases.items()) {
        const std::string name = field(c, "name");
        SCOPED_TRACE("case " + name);
        engine::jinja::Options opt;
        opt.trim_blocks = opt.lstrip_blocks = c.find("trim_lstrip")->truthy();
        auto rendered = engine::jinja::render_template(field(c, "template"), *c.find("context"), opt);
        if (c.find("error")) {
            EXPECT_FALSE(rendered.ok()) << "rendered: " << (rendered.ok() ? *rendered : "");
            if (!rendered.ok()) {
                EXPECT_EQ(rendered.error().message.rfind("[jinja]", 0), 0u) << rendered.error().message;
            }
            ++errors_checked;
            continue;
        }
        ASSERT_TRUE(rendered.ok()) << rendered.error().message;
        EXPECT_EQ(*rendered, field(c, "expected"));
    }
    EXPECT_GE(errors_checked, 10);
}

TEST(ChatTemplateGolden, BuiltinTemplatesMatchTransformers) {
    const Value cases = load_golden("chat_goldens.json");
    ASSERT_GT(cases.items().size(), 90u);
    int raised = 0;
    for (const Value& c : cases.items()) {
        const std::string family = field(c, "family");
        SCOPED_TRACE(family + " / " + field(c, "conversation") +
                     (c.find("add_generation_prompt")->truthy() ? " / gen" : " / no-gen"));
        auto source = engine::builtin_chat_template(family);
        ASSERT_TRUE(source.has_value());
        auto tmpl = engine::ChatTemplate::parse(*source);
        ASSERT_TRUE(tmpl.ok()) << tmpl.error().message;
        engine::ChatRenderOptions opt;
        opt.add_generation_prompt = c.find("add_generation_prompt")->truthy();
        if (const Value* b = c.find("bos_token"); b && b->is_string()) opt.bos_token = b->as_string();
        if (const Value* e = c.find("eos_token"); e && e->is_string()) opt.eos_token = e->as_string();
        opt.tools = *c.find("tools");
        opt.extra = *c.find("extra");
        auto out = tmpl->render(*c.find("messages"), opt);
        if (const Value* err = c.find("error")) {
            ASSERT_FALSE(out.ok()) << "expected failure '" << err->as_string() << "', rendered:\n" << *out;
            if (c.find("raised")->truthy()) {
                EXPECT_NE(out.error().message.find("raise_exception: " + err->as_string()), std::string::npos)
                    << out.error().message;
                ++raised;
            }
            continue;
        }
        ASSERT_TRUE(out.ok()) << out.error().message;
        EXPECT_EQ(*out, field(c, "expected"));
    }
    EXPECT_GE(raised, 5);
}
