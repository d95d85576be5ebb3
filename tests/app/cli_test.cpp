// End-to-end tests of crucible-cli on the default model: the commands a user,
// a script or a benchmark runs, checked through their output and exit codes.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

namespace {

struct CliRun {
    int exit_code = -1;
    std::string out;
    std::string err;
};

// Runs crucible-cli with `args` (shell-quoted by the caller) and `input` on stdin.
CliRun cli(const std::string& args, const std::string& input = "") {
    auto dir = std::filesystem::temp_directory_path() / ("crucible_cli_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    std::string in = (dir / "in").string(), err = (dir / "err").string();
    std::ofstream(in) << input;
    std::string command = std::string(CRUCIBLE_CLI_PATH) + " " + args + " < " + in + " 2> " + err;
    CliRun run;
    FILE* pipe = ::popen(command.c_str(), "r");
    if (!pipe) return run;
    char buffer[4096];
    size_t n;
    while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) run.out.append(buffer, n);
    int status = ::pclose(pipe);
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::ifstream e(err);
    std::stringstream text;
    text << e.rdbuf();
    run.err = text.str();
    return run;
}

nlohmann::json parse_json(const std::string& text) {
    auto j = nlohmann::json::parse(text, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << text;
    return j;
}

}  // namespace

TEST(Cli, InfoDescribesTheDefaultModel) {
    CliRun r = cli("info default --json");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto j = parse_json(r.out);
    EXPECT_EQ(j["architecture"], "llama");
    EXPECT_EQ(j["layers"], 30);
    EXPECT_EQ(j["vocab_size"], 49152);
    EXPECT_EQ(j["tensor_types"]["q4_1"], 210);
    EXPECT_EQ(j["chat_template_origin"], "model file");
    EXPECT_NE(j["chat_template"].get<std::string>().find("<|im_start|>"), std::string::npos);
    CliRun text = cli("info default");
    EXPECT_EQ(text.exit_code, 0);
    EXPECT_NE(text.out.find("134.5 M"), std::string::npos) << text.out;
}

TEST(Cli, GenerateJsonCarriesTokensAndLogprobs) {
    CliRun r = cli(
        "generate default --chat --prompt 'Name a color.' --temperature 0 --max-tokens 8 --top-logprobs 3 "
        "--threads 2 --json");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto j = parse_json(r.out);
    ASSERT_TRUE(j["tokens"].is_array());
    ASSERT_GE(j["tokens"].size(), 1u);
    EXPECT_LE(j["tokens"].size(), 8u);
    EXPECT_GT(j["prompt_token_ids"].size(), 10u);
    std::string concatenated;
    for (const auto& t : j["tokens"]) {
        double lp = t["logprob"];
        EXPECT_LE(lp, 0.0);
        ASSERT_EQ(t["top_logprobs"].size(), 3u);
        // Greedy: the chosen token is the most likely alternative.
        EXPECT_EQ(t["top_logprobs"][0]["id"], t["id"]);
        EXPECT_GE(t["top_logprobs"][0]["logprob"].get<double>(),
                  t["top_logprobs"][1]["logprob"].get<double>());
        if (t["text"] != "<|im_end|>") concatenated += t["text"].get<std::string>();
    }
    EXPECT_EQ(j["text"], concatenated);
    EXPECT_TRUE(j["stop_reason"] == "end_of_generation" || j["stop_reason"] == "max_tokens");
}

TEST(Cli, SameSeedGivesTheSameText) {
    std::string args =
        "generate default --prompt 'The weather today' --temperature 1.0 --max-tokens 12 --seed 7 --json";
    CliRun a = cli(args), b = cli(args);
    ASSERT_EQ(a.exit_code, 0) << a.err;
    ASSERT_EQ(b.exit_code, 0) << b.err;
    EXPECT_EQ(parse_json(a.out)["text"], parse_json(b.out)["text"]);
    EXPECT_EQ(parse_json(a.out)["seed"], 7);
}

TEST(Cli, GenerateWithASchemaAlwaysGivesValidJson) {
    auto schema = std::filesystem::temp_directory_path() / "crucible_cli_judge_schema.json";
    std::ofstream(schema) << R"({"type": "object", "properties": {
        "rationale": {"type": "string", "maxLength": 120},
        "score": {"type": "integer", "minimum": 1, "maximum": 5}}, "required": ["rationale", "score"]})";
    for (int seed : {1, 2, 3}) {
        CliRun r =
            cli("generate default --chat --prompt 'Rate this answer from 1 to 5: Paris is in France.' "
                "--schema " +
                schema.string() + " --temperature 1.0 --seed " + std::to_string(seed) +
                " --max-tokens 60 --threads 2 --json");
        ASSERT_EQ(r.exit_code, 0) << r.err;
        auto verdict = nlohmann::json::parse(parse_json(r.out)["text"].get<std::string>(), nullptr, false);
        ASSERT_TRUE(verdict.is_object()) << r.out;
        ASSERT_EQ(verdict.size(), 2u);
        ASSERT_TRUE(verdict["rationale"].is_string());
        ASSERT_TRUE(verdict["score"].is_number_integer());
        EXPECT_GE(verdict["score"].get<int>(), 1);
        EXPECT_LE(verdict["score"].get<int>(), 5);
    }
    CliRun any =
        cli("generate default --prompt 'Some JSON:' --grammar json --temperature 1.0 --seed 4 "
            "--max-tokens 24 --threads 2");
    ASSERT_EQ(any.exit_code, 0) << any.err;
    std::string text = any.out.substr(0, any.out.find_last_not_of('\n') + 1);
    EXPECT_FALSE(nlohmann::json::parse(text, nullptr, false).is_discarded()) << text;

    CliRun bad_grammar = cli("generate default --prompt hi --grammar yaml");
    EXPECT_EQ(bad_grammar.exit_code, 2);
    EXPECT_NE(bad_grammar.err.find("--grammar"), std::string::npos) << bad_grammar.err;
    std::ofstream(schema, std::ios::trunc) << R"({"type": "string", "pattern": "^a+$"})";
    CliRun unsupported = cli("generate default --prompt hi --schema " + schema.string());
    EXPECT_EQ(unsupported.exit_code, 1);
    EXPECT_NE(unsupported.err.find("unsupported keyword \"pattern\""), std::string::npos) << unsupported.err;
    std::filesystem::remove(schema);
}

TEST(Cli, BadModelsGiveClearErrors) {
    CliRun missing = cli("info /nonexistent/model.gguf");
    EXPECT_EQ(missing.exit_code, 1);
    EXPECT_NE(missing.err.find("/nonexistent/model.gguf"), std::string::npos) << missing.err;

    auto garbage = std::filesystem::temp_directory_path() / "crucible_cli_garbage.gguf";
    std::ofstream(garbage) << "this is not a model, just some text that is long enough";
    CliRun corrupt = cli("generate " + garbage.string() + " --prompt hi");
    EXPECT_EQ(corrupt.exit_code, 1);
    EXPECT_NE(corrupt.err.find("not a GGUF file"), std::string::npos) << corrupt.err;

    CliRun bad_option = cli("generate default --prompt hi --temperature hot");
    EXPECT_EQ(bad_option.exit_code, 2);
    EXPECT_NE(bad_option.err.find("--temperature"), std::string::npos) << bad_option.err;
    EXPECT_EQ(cli("frobnicate").exit_code, 2);
}

TEST(Cli, ChatAnswersEachLineFromStdin) {
    CliRun r = cli("chat default --temperature 0 --max-tokens 16 --quiet --threads 2",
                   "Hello!\nWhat is 2+2?\n/exit\n");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // Two answers, each followed by a newline.
    size_t lines = std::count(r.out.begin(), r.out.end(), '\n');
    EXPECT_GE(lines, 2u) << r.out;
    EXPECT_FALSE(r.out.find_first_not_of(" \n") == std::string::npos) << "no answer text";
}

TEST(Cli, BenchReportsSpeedAndMemory) {
    CliRun r = cli("bench default --threads 1 --prompt-tokens 16 --gen-tokens 4 --repeat 1 --json");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto j = parse_json(r.out);
    EXPECT_GT(j["prefill_tps"].get<double>(), 0.0);
    EXPECT_GT(j["decode_tps"].get<double>(), 0.0);
    EXPECT_GT(j["peak_rss_bytes"].get<double>(), 50e6);  // the weights are mapped and touched
}
