// End-to-end tests of the workspace commands of crucible-cli: import the
// importer fixtures into a fresh workspace, search, label, build a dataset,
// export, and re-import (nothing is added twice).
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

class CliWorkspaceTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("crucible_ws_test_" + std::to_string(::getpid()));
        fs::remove_all(dir_);
        fs::create_directories(dir_);
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

const std::string kFixtures = std::string(CRUCIBLE_TEST_DATA_DIR) + "/data/importers";

}  // namespace

TEST_F(CliWorkspaceTest, ImportSearchLabelDatasetExportReimport) {
    CliResult imported = cli("import " + kFixtures + " --quiet");
    ASSERT_EQ(imported.exit_code, 0) << err();
    // Every fixture file is read; the malformed records inside them are reported, not fatal.
    EXPECT_NE(imported.out.find("17 files done"), std::string::npos) << imported.out;
    EXPECT_NE(imported.out.find("rejected records are listed"), std::string::npos) << imported.out;

    CliResult found = cli("traces search weather --json");
    ASSERT_EQ(found.exit_code, 0) << err();
    auto rows = nlohmann::json::parse(found.out)["rows"];
    ASSERT_GE(rows.size(), 3u);
    int64_t id = rows[0]["id"];
    for (const auto& row : rows) EXPECT_TRUE(row["has_tool_calls"].get<bool>()) << row.dump();
    // The canonical fixture (crucible.jsonl) brings its label history: its trace is labelled bad.
    auto bad = nlohmann::json::parse(cli("traces search weather --label bad --json").out)["rows"];
    ASSERT_EQ(bad.size(), 1u);
    EXPECT_EQ(bad[0]["format"], "openai_chat");

    ASSERT_EQ(
        cli("traces label " + std::to_string(id) + " --verdict good --critique 'clear answer'").exit_code, 0)
        << err();
    auto shown = nlohmann::json::parse(cli("traces show " + std::to_string(id) + " --json").out);
    EXPECT_EQ(shown["labels"][0]["verdict"], "good");
    EXPECT_EQ(shown["labels"][0]["critique"], "clear answer");
    auto good = nlohmann::json::parse(cli("traces search weather --label good --json").out)["rows"];
    ASSERT_EQ(good.size(), 1u);
    EXPECT_EQ(good[0]["id"], id);

    ASSERT_EQ(cli("datasets create good-ones --label good").exit_code, 0) << err();
    EXPECT_NE(cli("datasets list").out.find("good-ones"), std::string::npos);

    std::string sft = (dir_ / "sft.jsonl").string();
    ASSERT_EQ(cli("export --format sft --dataset good-ones --output " + sft).exit_code, 0) << err();
    std::ifstream lines(sft);
    std::string line;
    int count = 0;
    while (std::getline(lines, line)) {
        auto j = nlohmann::json::parse(line);
        EXPECT_TRUE(j["messages"].is_array());
        ++count;
    }
    EXPECT_EQ(count, 1);

    // Importing the same folder again (even re-reading finished files) adds nothing.
    auto trace_total = [&] {
        return nlohmann::json::parse(cli("traces list --json --total --limit 1").out)["total"].get<int64_t>();
    };
    int64_t before = trace_total();
    EXPECT_GT(before, 20);
    CliResult again = cli("import " + kFixtures + " --quiet --rescan");
    ASSERT_EQ(again.exit_code, 0) << err();
    EXPECT_EQ(trace_total(), before);
}

TEST_F(CliWorkspaceTest, MissingPathAndBadLabelAreClearErrors) {
    CliResult missing = cli("import /nonexistent/traces.jsonl");
    EXPECT_NE(missing.exit_code, 0);
    EXPECT_NE(err().find("/nonexistent/traces.jsonl"), std::string::npos) << err();
    CliResult bad = cli("traces label 1 --verdict splendid");
    EXPECT_NE(bad.exit_code, 0);
    EXPECT_NE(err().find("splendid"), std::string::npos) << err();
}
