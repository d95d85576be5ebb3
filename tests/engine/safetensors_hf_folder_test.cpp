#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "engine/hf_folder.h"

using engine::DType;
using engine::HfFolderOptions;
using engine::open_hf_folder;
namespace fs = std::filesystem;

namespace {

class Folder {
public:
    Folder() {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        path_ =
            fs::temp_directory_path() / ("crucible_hf_" + std::to_string(::getpid()) + "_" + info->name());
        fs::remove_all(path_);
        fs::create_directories(path_);
    }
    ~Folder() { fs::remove_all(path_); }
    std::string path() const { return path_.string(); }
    void write(const std::string& name, const std::string& text) const {
        fs::create_directories((path_ / name).parent_path());
        std::ofstream(path_ / name, std::ios::binary) << text;
    }
    void remove(const std::string& name) const { fs::remove(path_ / name); }
    // A minimal valid model folder.
    void populate() const {
        write("config.json", R"({"architectures": ["LlamaForCausalLM"], "model_type": "llama",
                                 "hidden_size": 4, "rms_norm_eps": 1e-05, "tie_word_embeddings": true})");
        write("tokenizer.json", R"({"version": "1.0", "model": {"type": "BPE", "vocab": {"a": 0, "b": 1}}})");
        write("tokenizer_config.json", R"({"bos_token": "<s>", "chat_template": "{{ messages }}"})");
        write("generation_config.json", R"({"eos_token_id": [2, 7]})");
        engine::SafetensorsWriter w;
        std::vector<uint8_t> data(8 * 4, 0);
        EXPECT_TRUE(w.add_tensor("model.embed_tokens.weight", DType::F32, {2, 4}, data).ok());
        EXPECT_TRUE(w.write((path_ / "model.safetensors").string()).ok());
    }

private:
    fs::path path_;
};

std::string error_of(const std::string& path, const HfFolderOptions& options = {}) {
    auto r = open_hf_folder(path, options);
    EXPECT_FALSE(r.ok()) << "expected an error for " << path;
    return r.ok() ? "" : r.error().message;
}

}  // namespace

TEST(HfFolder, OpensCompleteFolder) {
    Folder f;
    f.populate();
    auto hf = open_hf_folder(f.path());
    ASSERT_TRUE(hf.ok()) << hf.error().message;
    EXPECT_EQ(hf->architecture(), "LlamaForCausalLM");
    EXPECT_EQ(hf->model_type(), "llama");
    EXPECT_EQ(hf->config["hidden_size"].as_int(), 4);
    EXPECT_DOUBLE_EQ(hf->config["rms_norm_eps"].as_double(), 1e-05);
    EXPECT_EQ(hf->tokenizer["model"]["vocab"]["b"].as_int(), 1);
    EXPECT_EQ(hf->tokenizer_config["bos_token"].as_string(), "<s>");
    EXPECT_EQ(hf->generation_config["eos_token_id"][1].as_int(), 7);
    ASSERT_NE(hf->chat_template(), nullptr);
    EXPECT_EQ(hf->chat_template()->source, "{{ messages }}");
    EXPECT_EQ(hf->chat_template("tool_use"), nullptr);
    const auto* embed = hf->weights.find("model.embed_tokens.weight");
    ASSERT_NE(embed, nullptr);
    EXPECT_EQ(embed->view.ne[0], 4);
    EXPECT_EQ(embed->view.ne[1], 2);
}

TEST(HfFolder, ChatTemplateListJinjaFileAndAdditionalTemplates) {
    Folder f;
    f.populate();
    f.write("tokenizer_config.json", R"({"chat_template": [{"name": "tool_use", "template": "T"},
                                                           {"name": "default", "template": "D"}]})");
    auto hf = open_hf_folder(f.path());
    ASSERT_TRUE(hf.ok()) << hf.error().message;
    ASSERT_EQ(hf->chat_templates.size(), 2u);
    EXPECT_EQ(hf->chat_templates[0].name, "default");  // default first
    EXPECT_EQ(hf->chat_template()->source, "D");
    EXPECT_EQ(hf->chat_template("tool_use")->source, "T");

    f.write("chat_template.jinja", "J{{ x }}\n");
    f.write("additional_chat_templates/rag.jinja", "R");
    hf = open_hf_folder(f.path());
    ASSERT_TRUE(hf.ok()) << hf.error().message;
    EXPECT_EQ(hf->chat_template()->source, "J{{ x }}\n");  // the .jinja file wins
    EXPECT_EQ(hf->chat_template("rag")->source, "R");
    EXPECT_EQ(hf->chat_templates.size(), 3u);

    f.write("tokenizer_config.json", R"({"chat_template": 5})");
    EXPECT_NE(error_of(f.path()).find("chat_template is a int, expected a string or a list"),
              std::string::npos);
    f.write("tokenizer_config.json", R"({"chat_template": [{"name": "x"}]})");
    EXPECT_NE(error_of(f.path()).find("chat_template[0] needs string \"name\" and \"template\""),
              std::string::npos);
}

TEST(HfFolder, OpensShardedWeights) {
    Folder f;
    f.populate();
    f.remove("model.safetensors");
    const std::string golden = CRUCIBLE_TEST_DATA_DIR "/golden/safetensors/sharded/";
    for (const char* name : {"model.safetensors.index.json", "model-00001-of-00002.safetensors",
                             "model-00002-of-00002.safetensors"})
        fs::copy_file(golden + name, f.path() + "/" + name);
    auto hf = open_hf_folder(f.path());
    ASSERT_TRUE(hf.ok()) << hf.error().message;
    EXPECT_EQ(hf->weights.shards().size(), 2u);
    EXPECT_NE(hf->weights.find("c.bias"), nullptr);
}

TEST(HfFolder, MissingOrBrokenFilesAreClearErrors) {
    Folder f;
    EXPECT_NE(error_of(f.path() + "/nope").find("is not a folder"), std::string::npos);
    EXPECT_NE(error_of(f.path()).find("no config.json"), std::string::npos);
    f.populate();

    f.write("config.json", "{\"a\": 1,\n \"b\": }");
    std::string e = error_of(f.path());
    EXPECT_NE(e.find("config.json is not valid JSON"), std::string::npos) << e;
    EXPECT_NE(e.find("line 2, column 7"), std::string::npos) << e;
    f.write("config.json", "[1]");
    EXPECT_NE(error_of(f.path()).find("config.json is a JSON array, expected an object"), std::string::npos);
    f.write("config.json", "{}");

    f.remove("tokenizer.json");
    EXPECT_NE(error_of(f.path()).find("no tokenizer.json"), std::string::npos);
    HfFolderOptions no_tokenizer;
    no_tokenizer.require_tokenizer = false;
    auto hf = open_hf_folder(f.path(), no_tokenizer);
    ASSERT_TRUE(hf.ok()) << hf.error().message;
    EXPECT_TRUE(hf->tokenizer.is_null());

    f.remove("model.safetensors");
    e = error_of(f.path(), no_tokenizer);
    EXPECT_NE(e.find("no model.safetensors or model.safetensors.index.json"), std::string::npos) << e;
    HfFolderOptions configs_only = no_tokenizer;
    configs_only.load_weights = false;
    EXPECT_TRUE(open_hf_folder(f.path(), configs_only).ok());
    f.write("pytorch_model.bin", "x");
    EXPECT_NE(error_of(f.path(), no_tokenizer).find("only PyTorch .bin weights"), std::string::npos);
    f.write("model.safetensors", "garbage!");
    EXPECT_NE(error_of(f.path(), no_tokenizer).find("[safetensors]"), std::string::npos);
}
