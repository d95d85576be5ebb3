// crucible-cli adapter export|import|merge end to end on tiny models: PEFT ->
// GGUF LoRA -> PEFT keeps the logits, a checkpoint exports as PEFT, merge
// writes a GGUF that runs like the unmerged adapter, and bad input fails cleanly.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "../engine/tiny_model.h"
#include "../finetune/test_util.h"
#include "engine/gguf.h"
#include "finetune/checkpoint.h"
#include "finetune/lora_config.h"
#include "finetune/peft.h"

namespace {

struct CliRun {
    int exit_code = -1;
    std::string out;
    std::string err;
};

CliRun cli(const std::string& args) {
    fttest::TempDir scratch("cli");
    const std::string err = scratch / "err";
    const std::string command = std::string(CRUCIBLE_CLI_PATH) + " " + args + " 2> " + err + " < /dev/null";
    CliRun run;
    FILE* pipe = ::popen(command.c_str(), "r");
    if (!pipe) return run;
    char buffer[4096];
    size_t n;
    while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) run.out.append(buffer, n);
    const int status = ::pclose(pipe);
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    run.err = fttest::read_text(err);
    return run;
}

const std::string kPeft = fttest::golden_dir() + "/peft/";
const std::vector<int32_t> kTokens = {1, 17, 4, 33, 90, 9, 60, 2};

TEST(CliAdapter, PeftToGgufLoraAndBackKeepsTheLogits) {
    fttest::TempDir dir("cli_adapter");
    const std::string model = kPeft + "llama-model", adapter = kPeft + "llama-adapter";
    CliRun r = cli("adapter export --adapter " + adapter + " --model " + model + " --format gguf --out " +
                   (dir / "l.gguf"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("GGUF LoRA, 14 adapted layers"), std::string::npos) << r.out;
    auto file = engine::GgufFile::open(dir / "l.gguf");
    ASSERT_TRUE(file.ok());
    EXPECT_EQ(file->get_string("general.type"), "adapter");

    r = cli("adapter import --model " + model + " --in " + (dir / "l.gguf") + " --out " + (dir / "peft"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto m = engine::Model::load(model);
    ASSERT_TRUE(m.ok());
    auto original = finetune::import_peft(adapter, (*m)->config());
    auto round_trip = finetune::import_peft(dir / "peft", (*m)->config());
    ASSERT_TRUE(original.ok() && round_trip.ok()) << round_trip.error().message;
    const auto expected = fttest::forward_all(**m, kTokens, &original->adapter);
    EXPECT_LT(fttest::max_rel_error(fttest::forward_all(**m, kTokens, &round_trip->adapter), expected), 1e-6);
    EXPECT_GT(fttest::max_rel_error(fttest::forward_all(**m, kTokens), expected), 1e-2);
}

TEST(CliAdapter, ExportsACheckpointAsPeft) {
    fttest::TempDir dir("cli_ckpt");
    const std::string model = kPeft + "qwen2-model";
    auto m = engine::Model::load(model);
    ASSERT_TRUE(m.ok());
    finetune::LoraConfig lc;
    lc.rank = 3;
    auto adapter = finetune::make_adapter(lc, (*m)->config());
    ASSERT_TRUE(adapter.ok());
    fttest::fill_random(*adapter, 8);
    finetune::Checkpoint c;
    c.step = 7;
    c.adapter = *adapter;
    c.peft = finetune::peft_options(lc, "tiny-qwen2");
    c.config_json = "{}";
    ASSERT_TRUE(finetune::write_checkpoint(dir / "checkpoint-7", c).ok());
    CliRun r = cli("adapter export --adapter " + (dir / "checkpoint-7") + " --model " + model +
                   " --format peft --out " + (dir / "peft"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto back = finetune::import_peft(dir / "peft", (*m)->config());
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_TRUE(fttest::same_values(back->adapter, *adapter));
    EXPECT_EQ(back->options.base_model_name, "tiny-qwen2");
}

TEST(CliAdapter, MergeWritesAGgufThatRunsLikeTheAdapter) {
    fttest::TempDir dir("cli_merge");
    auto t = tiny::load(tiny::default_spec(engine::Arch::llama, engine::DType::F32));
    ASSERT_TRUE(t->model);
    finetune::LoraConfig lc;
    lc.rank = 4;
    lc.alpha = 4.0f;
    auto adapter = finetune::make_adapter(lc, t->model->config());
    ASSERT_TRUE(adapter.ok());
    fttest::fill_random(*adapter, 9, 0.2f);
    ASSERT_TRUE(finetune::export_peft(dir / "peft", *adapter, finetune::peft_options(lc, "tiny")).ok());
    CliRun r = cli("adapter merge --model " + t->path + " --adapter " + (dir / "peft") +
                   " --strength 0.5 --type f16 --threads 2 --out " + (dir / "merged.gguf"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("strength 0.5"), std::string::npos) << r.out;
    auto merged = engine::Model::load(dir / "merged.gguf");
    ASSERT_TRUE(merged.ok()) << merged.error().message;
    adapter->strength = 0.5f;
    const auto expected = fttest::forward_all(*t->model, kTokens, &*adapter);
    EXPECT_LT(fttest::max_rel_error(fttest::forward_all(**merged, kTokens), expected), 0.01);
}

TEST(CliAdapter, ReportsBadInput) {
    fttest::TempDir dir("cli_bad");
    const std::string model = kPeft + "llama-model", adapter = kPeft + "llama-adapter";
    EXPECT_EQ(cli("adapter").exit_code, 2);
    EXPECT_EQ(cli("adapter frobnicate").exit_code, 2);
    EXPECT_EQ(cli("adapter --help").exit_code, 0);
    EXPECT_EQ(cli("adapter export --adapter " + adapter + " --model " + model).exit_code, 2);  // no --out
    EXPECT_EQ(
        cli("adapter export --adapter " + adapter + " --model " + model + " --format onnx --out x").exit_code,
        2);
    EXPECT_EQ(
        cli("adapter merge --model " + model + " --adapter " + adapter + " --type q4_0 --out x").exit_code,
        2);
    CliRun r = cli("adapter merge --model " + model + " --adapter " + adapter + " --out " + (dir / "m.gguf"));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("must be a GGUF"), std::string::npos) << r.err;
    r = cli("adapter import --model " + model + " --in " + (dir / "missing") + " --out " + (dir / "o"));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("does not exist"), std::string::npos) << r.err;
    ASSERT_EQ(cli("adapter export --adapter " + adapter + " --model " + model + " --format gguf --out " +
                  (dir / "l.gguf"))
                  .exit_code,
              0);
    r = cli("adapter import --model " + kPeft + "qwen2-model --in " + (dir / "l.gguf") + " --out " +
            (dir / "o"));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("architecture 'llama'"), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(dir / "o"));
}

}  // namespace
