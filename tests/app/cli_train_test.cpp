// crucible-cli sft and grpo end to end on the default model: run folders,
// checkpoints, a resumed run ending bit-identical to an uninterrupted one,
// refusal to resume with other options, and GRPO's per-step metrics.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

namespace {

namespace fs = std::filesystem;

struct CliRun {
    int exit_code = -1;
    std::string err;
};

CliRun cli(const std::string& args) {
    const fs::path err = fs::temp_directory_path() / ("crucible_cli_train_err_" + std::to_string(::getpid()));
    // Callers may redirect stdout themselves; otherwise it is discarded.
    const std::string out = args.find(" > ") == std::string::npos ? " > /dev/null" : "";
    const std::string command = std::string(CRUCIBLE_CLI_PATH) + " " + args + out + " 2> " + err.string();
    CliRun run;
    const int status = std::system(command.c_str());
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::ifstream e(err);
    std::stringstream text;
    text << e.rdbuf();
    run.err = text.str();
    return run;
}

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

class CliTrain : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("crucible_cli_train_" + std::to_string(::getpid()));
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }
    fs::path dir_;
};

TEST_F(CliTrain, SftResumedRunEqualsUninterruptedRun) {
    const fs::path data = dir_ / "data.jsonl";
    std::ofstream(data)
        << R"({"messages":[{"role":"user","content":"Capital of France?"},{"role":"assistant","content":"Paris."}]})"
        << "\n"
        << R"({"messages":[{"role":"user","content":"2+2?"},{"role":"assistant","content":"4."}]})"
        << "\n"
        << "this line is not JSON\n"
        << R"({"messages":[{"role":"user","content":"Color of grass?"},{"role":"assistant","content":"Green."}]})"
        << "\n";
    const std::string common =
        "sft default --data " + data.string() +
        " --epochs 2 --batch 2 --lr 1e-3 --rank 4 --lora-dropout 0.05 --checkpoint-every 1 "
        "--threads 2 --out ";
    CliRun full = cli(common + (dir_ / "full").string());
    ASSERT_EQ(full.exit_code, 0) << full.err;
    EXPECT_NE(full.err.find("not a JSON object"), std::string::npos) << full.err;  // reported, then skipped
    EXPECT_NE(full.err.find("step 3/3"), std::string::npos) << full.err;
    ASSERT_TRUE(fs::exists(dir_ / "full" / "adapter" / "adapter_model.safetensors"));

    // A run killed right after its first checkpoint: what is on disk is exactly that.
    fs::copy(dir_ / "full", dir_ / "killed", fs::copy_options::recursive);
    fs::remove_all(dir_ / "killed" / "adapter");
    for (const char* later : {"checkpoint-2", "checkpoint-3"})
        fs::remove_all(dir_ / "killed" / "checkpoints" / later);
    CliRun resumed = cli(common + (dir_ / "killed").string() + " --resume");
    ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
    EXPECT_NE(resumed.err.find("resumed at step 1"), std::string::npos) << resumed.err;
    EXPECT_EQ(read_file(dir_ / "killed" / "adapter" / "adapter_model.safetensors"),
              read_file(dir_ / "full" / "adapter" / "adapter_model.safetensors"));
    // The metrics of the re-run steps replace those of the lost ones: one line per step.
    std::ifstream metrics(dir_ / "killed" / "metrics.jsonl");
    std::string line;
    int lines = 0;
    while (std::getline(metrics, line)) ++lines;
    EXPECT_EQ(lines, 3);

    // The trained adapter applies at inference time and changes the model's numbers.
    const std::string gen =
        "generate default --chat --prompt 'Capital of France?' --temperature 0 --max-tokens 4 --json";
    CliRun base = cli(gen + " > " + (dir_ / "base.json").string());
    CliRun tuned = cli(gen + " --adapter " + (dir_ / "full" / "adapter").string() + " > " +
                       (dir_ / "tuned.json").string());
    ASSERT_EQ(base.exit_code, 0) << base.err;
    ASSERT_EQ(tuned.exit_code, 0) << tuned.err;
    EXPECT_NE(read_file(dir_ / "base.json"), read_file(dir_ / "tuned.json"));
    CliRun missing = cli(gen + " --adapter " + (dir_ / "nowhere").string());
    EXPECT_EQ(missing.exit_code, 1);
    EXPECT_NE(missing.err.find("--adapter"), std::string::npos) << missing.err;

    // Resuming with other options is refused; a new run over an old one too.
    CliRun other =
        cli("sft default --data " + data.string() + " --epochs 2 --batch 2 --lr 5e-4 --rank 4 --out " +
            (dir_ / "full").string() + " --resume");
    EXPECT_NE(other.exit_code, 0);
    EXPECT_NE(other.err.find("options differ"), std::string::npos) << other.err;
    CliRun again = cli(common + (dir_ / "full").string());
    EXPECT_NE(again.exit_code, 0);
    EXPECT_NE(again.err.find("already holds a run"), std::string::npos) << again.err;
}

TEST_F(CliTrain, GrpoReportsEveryStep) {
    const fs::path data = dir_ / "prompts.jsonl";
    std::ofstream(data)
        << R"({"id":"a","messages":[{"role":"user","content":"Say yes or no."}],"reference_answer":"yes"})"
        << "\n"
        << R"({"id":"b","messages":[{"role":"user","content":"Pick a number."}]})"
        << "\n";
    CliRun bad =
        cli("grpo default --data " + data.string() + " --reward 'max_words:' --out " + (dir_ / "x").string());
    EXPECT_EQ(bad.exit_code, 2);
    EXPECT_NE(bad.err.find("--reward"), std::string::npos) << bad.err;

    CliRun r =
        cli("grpo default --data " + data.string() +
            " --reward '0.5*max_words:4+0.5*contains:\"yes\"' --steps 2 --group-size 3 --max-completion 6 "
            "--temperature 1.0 --beta 0.02 --threads 2 --out " +
            (dir_ / "run").string());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::ifstream metrics(dir_ / "run" / "metrics.jsonl");
    std::string line;
    int steps = 0;
    while (std::getline(metrics, line)) {
        auto j = nlohmann::json::parse(line);
        ++steps;
        EXPECT_EQ(j["step"], steps);
        EXPECT_EQ(j["max_logprob_diff"], 0.0);  // sampling and training agree exactly
        EXPECT_GE(j["reward_mean"].get<double>(), 0.0);
        EXPECT_LE(j["reward_mean"].get<double>(), 1.0);
        EXPECT_EQ(j["reward_components"].size(), 2u) << line;
        EXPECT_LE(j["completion_length"].get<double>(), 6.0);
        EXPECT_GT(j["elapsed_s"].get<double>(), 0.0);
    }
    EXPECT_EQ(steps, 2);
    EXPECT_TRUE(fs::exists(dir_ / "run" / "adapter" / "adapter_config.json"));
    EXPECT_TRUE(fs::exists(dir_ / "run" / "checkpoints" / "checkpoint-2" / "state.json"));
}

// A rubric reward: refused without human labels to calibrate against, trained with the override,
// and the rubric's score is a reported component.
TEST_F(CliTrain, GrpoRubricRewardIsGatedByCalibration) {
    const std::string ws = " --workspace " + (dir_ / "ws").string();
    ASSERT_EQ(
        cli("rubric create --name brief --scale pass_fail --instructions 'Pass when the answer is one short "
            "sentence.'" +
            ws)
            .exit_code,
        0);
    const fs::path data = dir_ / "prompts.jsonl";
    std::ofstream(data) << R"({"id":"a","messages":[{"role":"user","content":"Say hello."}]})"
                        << "\n";
    const std::string common = "grpo default --data " + data.string() +
                               " --rubric brief --steps 1 --group-size 2 --max-completion 4 --threads 2" + ws;
    CliRun refused = cli(common + " --out " + (dir_ / "r1").string());
    EXPECT_EQ(refused.exit_code, 1);
    EXPECT_NE(refused.err.find("no labelled traces"), std::string::npos) << refused.err;

    CliRun r = cli(common + " --reward max_words:3 --allow-uncalibrated --out " + (dir_ / "r2").string());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::ifstream metrics(dir_ / "r2" / "metrics.jsonl");
    std::string line;
    ASSERT_TRUE(std::getline(metrics, line));
    auto j = nlohmann::json::parse(line);
    EXPECT_TRUE(j["reward_components"].contains("rubric:brief@1")) << line;
    EXPECT_TRUE(j["reward_components"].contains("max_words:3")) << line;
    EXPECT_EQ(j["max_logprob_diff"], 0.0);
}

}  // namespace
