// ModelBundle on a Hugging Face folder: safetensors weights, tokenizer.json,
// tokenizer_config.json with a chat template, end to end through generation.
#include "engine/model_bundle.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "engine/generator.h"
#include "engine/kv_cache.h"
#include "tiny_model.h"

namespace fs = std::filesystem;

namespace {

constexpr const char* kTemplate =
    "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}assistant:{% endif %}";

// A tiny llama in HF form with the committed GPT-2-style tokenizer fixture (420 tokens).
std::string write_folder() {
    tiny::TinySpec spec = tiny::default_spec(engine::Arch::llama, engine::DType::F32);
    spec.n_vocab = 420;
    std::string dir = tiny::temp_path("bundle_hf");
    EXPECT_TRUE(tiny::write_hf_folder(spec, tiny::make_weights(spec), engine::DType::F32, dir).ok());
    fs::path fixture = fs::path(CRUCIBLE_TEST_DATA_DIR) / "golden/tokenizer_hf/gpt2";
    fs::copy_file(fixture / "tokenizer.json", fs::path(dir) / "tokenizer.json",
                  fs::copy_options::overwrite_existing);
    std::ofstream(fs::path(dir) / "tokenizer_config.json")
        << R"({"bos_token":"<|endoftext|>","eos_token":"<|endoftext|>","chat_template":)" << '"'
        << "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\\n{% endfor %}"
           "{% if add_generation_prompt %}assistant:{% endif %}"
        << "\"}";
    return dir;
}

}  // namespace

TEST(ModelBundle, LoadsAHuggingFaceFolderAndGenerates) {
    std::string dir = write_folder();
    auto bundle = engine::ModelBundle::load(dir);
    ASSERT_TRUE(bundle.ok()) << bundle.error().message;
    EXPECT_EQ((*bundle)->chat_template_origin(), "model folder");
    EXPECT_EQ((*bundle)->chat_template_source(), kTemplate);
    EXPECT_EQ((*bundle)->tokenizer().vocab_size(), 420);

    engine::ChatMessage m;
    m.role = "user";
    m.content = "hello world";
    auto text = (*bundle)->render_chat({m}, true);
    ASSERT_TRUE(text.ok()) << text.error().message;
    EXPECT_EQ(*text, "user: hello world\nassistant:");
    auto prompt = (*bundle)->encode_chat({m}, true);
    ASSERT_TRUE(prompt.ok());
    EXPECT_EQ((*bundle)->tokenizer().decode(*prompt), *text);

    engine::GeneratorOptions go;
    go.n_threads = 1;
    auto gen = engine::Generator::create((*bundle)->model(), (*bundle)->tokenizer(), go);
    ASSERT_TRUE(gen.ok()) << gen.error().message;
    engine::GenerationOptions o;
    o.sampling.temperature = 0;
    o.max_tokens = 6;
    o.stop_at_end_of_generation = false;
    auto result = (*gen)->generate(*prompt, o);
    ASSERT_TRUE(result.ok()) << result.error().message;
    ASSERT_EQ(result->tokens.size(), 6u);

    // The first greedy token is the argmax of the model's own logits for the prompt.
    const engine::Model& model = (*bundle)->model();
    auto cache = engine::KvCache::create(model.config(), 64);
    ASSERT_TRUE(cache.ok());
    std::vector<float> logits(static_cast<size_t>(model.config().n_vocab));
    engine::ThreadPool pool(1);
    ASSERT_TRUE(model.forward(**cache, *prompt, 0, engine::LogitsMode::last, logits.data(), pool).ok());
    EXPECT_EQ(result->tokens[0].id, std::max_element(logits.begin(), logits.end()) - logits.begin());
    fs::remove_all(dir);
}

TEST(ModelBundle, FolderWithoutTokenizerIsAClearError) {
    std::string dir = write_folder();
    fs::remove(fs::path(dir) / "tokenizer.json");
    auto bundle = engine::ModelBundle::load(dir);
    ASSERT_FALSE(bundle.ok());
    EXPECT_NE(bundle.error().message.find("tokenizer.json"), std::string::npos) << bundle.error().message;
    fs::remove_all(dir);
}
