// End-to-end tests of crucible-cli rubric, judge and calibrate on the default model
// (SmolLM2-135M): rubric versions, constrained verdicts stored in the workspace and
// answered from it on the next run, and a calibration report against human labels.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

namespace fs = std::filesystem;

namespace {

struct CliResult {
    int exit_code = -1;
    std::string out;
};

class CliEvalsTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("crucible_evals_cli_test_" + std::to_string(::getpid()));
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        std::ofstream traces(dir_ / "traces.jsonl");
        traces << R"({"messages":[{"role":"user","content":"What is the capital of France?"},)"
                  R"({"role":"assistant","content":"Paris."}]})"
               << "\n"
               << R"({"messages":[{"role":"user","content":"What is 2 + 2?"},)"
                  R"({"role":"assistant","content":"5"}]})"
               << "\n"
               << R"({"messages":[{"role":"user","content":"Name a primary colour."},)"
                  R"({"role":"assistant","content":"Blue."}]})"
               << "\n";
    }
    void TearDown() override { fs::remove_all(dir_); }

    CliResult cli(const std::string& args) {
        std::string command = std::string(CRUCIBLE_CLI_PATH) + " " + args + " --workspace " +
                              (dir_ / "ws").string() + " 2>" + (dir_ / "err").string();
        CliResult r;
        FILE* pipe = ::popen(command.c_str(), "r");
        if (!pipe) return r;
        char buffer[4096];
        size_t n;
        while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) r.out.append(buffer, n);
        int status = ::pclose(pipe);
        r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        return r;
    }
    std::string err() {
        std::ifstream f(dir_ / "err");
        std::stringstream s;
        s << f.rdbuf();
        return s.str();
    }
    fs::path dir_;
};

const char* kJudge = " --threads 2 --max-tokens 48 --ctx 1024";

}  // namespace

TEST_F(CliEvalsTest, RubricVersions) {
    ASSERT_EQ(
        cli("rubric create --name correct --scale pass_fail --instructions 'Pass when correct.'").exit_code,
        0)
        << err();
    CliResult dup = cli("rubric create --name correct --scale pass_fail --instructions 'x'");
    EXPECT_EQ(dup.exit_code, 1);
    EXPECT_NE(err().find("already exists"), std::string::npos) << err();
    EXPECT_EQ(cli("rubric create --name bad --scale stars --instructions 'x'").exit_code, 2);
    EXPECT_NE(err().find("--scale"), std::string::npos) << err();

    std::ofstream(dir_ / "instructions.txt") << "Pass when the answer is factually correct.\n";
    CliResult edited =
        cli("rubric edit correct --file " + (dir_ / "instructions.txt").string() + " --scale likert5");
    ASSERT_EQ(edited.exit_code, 0) << err();
    EXPECT_NE(edited.out.find("correct v2"), std::string::npos) << edited.out;

    auto list = nlohmann::json::parse(cli("rubric list --json").out);
    ASSERT_EQ(list.size(), 1u);
    EXPECT_EQ(list[0]["version"], 2);
    EXPECT_EQ(list[0]["versions"], 2);
    EXPECT_EQ(list[0]["scale"], "likert5");
    auto v1 = nlohmann::json::parse(cli("rubric show correct --version 1 --json").out);
    EXPECT_EQ(v1["instructions"], "Pass when correct.");
    EXPECT_EQ(v1["scale"], "pass_fail");
    auto v2 = nlohmann::json::parse(cli("rubric show correct@2 --json").out);
    EXPECT_EQ(v2["instructions"], "Pass when the answer is factually correct.");
    EXPECT_EQ(cli("rubric show correct@3").exit_code, 1);
}

TEST_F(CliEvalsTest, JudgeCachesAndCalibrates) {
    ASSERT_EQ(cli("import " + (dir_ / "traces.jsonl").string() + " --quiet").exit_code, 0) << err();
    ASSERT_EQ(cli("rubric create --name correct --scale pass_fail --instructions 'Pass when the answer is "
                  "correct.'")
                  .exit_code,
              0)
        << err();
    CliResult first = cli(std::string("judge --rubric correct --json") + kJudge);
    ASSERT_EQ(first.exit_code, 0) << err() << first.out;
    auto verdicts = nlohmann::json::parse(first.out);
    ASSERT_EQ(verdicts.size(), 3u);
    for (const auto& v : verdicts) {
        EXPECT_FALSE(v["cached"].get<bool>());
        EXPECT_TRUE(v["score"] == "pass" || v["score"] == "fail") << v.dump();
        EXPECT_EQ(v["rubric_version"], 1);
        EXPECT_NE(v["judge_model"].get<std::string>().find("SmolLM2"), std::string::npos);
    }
    // The second run asks the model nothing: every verdict comes from the workspace, unchanged.
    CliResult second = cli(std::string("judge --rubric correct --json") + kJudge);
    ASSERT_EQ(second.exit_code, 0) << err();
    auto again = nlohmann::json::parse(second.out);
    ASSERT_EQ(again.size(), 3u);
    for (size_t i = 0; i < 3; ++i) {
        EXPECT_TRUE(again[i]["cached"].get<bool>());
        EXPECT_EQ(again[i]["score"], verdicts[i]["score"]);
        EXPECT_EQ(again[i]["rationale"], verdicts[i]["rationale"]);
    }
    CliResult summary = cli(std::string("judge --rubric correct") + kJudge);
    EXPECT_NE(summary.out.find("3 from cache, 0 new"), std::string::npos) << summary.out;

    // Labels, a second version, then calibration of v2 with v1's judgments in the trend.
    auto rows = nlohmann::json::parse(cli("traces list --json").out)["rows"];
    ASSERT_EQ(rows.size(), 3u);
    for (const auto& row : rows) {
        const bool wrong = row["preview"] == "What is 2 + 2?";
        ASSERT_EQ(cli("traces label " + std::to_string(row["id"].get<int64_t>()) + " --verdict " +
                      (wrong ? "bad --critique 'two plus two is four'" : "good"))
                      .exit_code,
                  0)
            << err();
    }
    ASSERT_EQ(
        cli("rubric edit correct --instructions 'Pass when the answer is factually correct.'").exit_code, 0);
    CliResult calibrated = cli(std::string("calibrate --rubric correct --json") + kJudge);
    ASSERT_EQ(calibrated.exit_code, 0) << err() << calibrated.out;
    auto report = nlohmann::json::parse(calibrated.out);
    EXPECT_EQ(report["rubric_version"], 2);
    EXPECT_EQ(report["n"], 3);
    int64_t total = 0;
    for (const auto& r : report["confusion"]["rows_human_columns_judge"])
        for (const auto& c : r) total += c.get<int64_t>();
    EXPECT_EQ(total, 3);
    ASSERT_EQ(report["trend"].size(), 2u);
    EXPECT_EQ(report["trend"][0]["rubric_version"], 1);
    EXPECT_EQ(report["trend"][0]["n"], 3);
    // A disagreement carries the human critique next to the judge's rationale.
    for (const auto& d : report["disagreements"]) {
        if (d["human_score"] == 0.0) {
            EXPECT_EQ(d["human_critique"], "two plus two is four");
        }
        EXPECT_TRUE(d["judge_rationale"].is_string());
    }
    CliResult text = cli(std::string("calibrate --rubric correct") + kJudge);
    ASSERT_EQ(text.exit_code, 0) << err();
    EXPECT_NE(text.out.find("confusion (rows: human, columns: judge)"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("trend across versions"), std::string::npos) << text.out;

    // A likert rubric cannot use good/bad labels: refused with a reason.
    ASSERT_EQ(cli("rubric create --name stars --scale likert5 --instructions 'Rate it.'").exit_code, 0);
    EXPECT_EQ(cli(std::string("calibrate --rubric stars") + kJudge).exit_code, 1);
    EXPECT_NE(err().find("no labelled traces fit"), std::string::npos) << err();
}
