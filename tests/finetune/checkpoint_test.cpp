// Checkpoints: bitwise round trip, resuming a run gives the same parameters as
// never stopping, atomic replacement, latest_checkpoint skipping leftovers, and
// clear errors for missing, truncated or altered files.
#include "finetune/checkpoint.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "finetune/lora_config.h"
#include "finetune/optimizer.h"
#include "finetune/rng.h"
#include "test_util.h"

namespace {

namespace fs = std::filesystem;
using engine::LoraAdapter;
using engine::LoraPair;
using engine::LoraTarget;

struct TrainRun {
    LoraAdapter params;
    finetune::AdamW optimizer{finetune::AdamWOptions{0.9, 0.99, 1e-8, 0.01}};
    finetune::Rng rng{2024};
    int64_t step = 0;
};

finetune::LoraConfig lora_config() {
    finetune::LoraConfig c;
    c.rank = 4;
    c.alpha = 8.0f;
    c.seed = 11;
    return c;
}

TrainRun start(const engine::ModelConfig& model) {
    TrainRun r;
    auto a = finetune::make_adapter(lora_config(), model);
    EXPECT_TRUE(a.ok());
    r.params = std::move(*a);
    return r;
}

// One optimizer step with pseudo-gradients drawn from the run's RNG (a stand-in for a training step).
void train_step(TrainRun& r) {
    LoraAdapter g = LoraAdapter::zeros_like(r.params);
    g.for_each([&](int64_t, LoraTarget, LoraPair& p) {
        for (float& x : p.a) x = r.rng.uniform_float() - 0.5f;
        for (float& x : p.b) x = r.rng.uniform_float() - 0.5f;
    });
    finetune::clip_grad_norm(g, 1.0);
    ASSERT_TRUE(r.optimizer.step(r.params, g, 1e-2f).ok());
    ++r.step;
}

finetune::Checkpoint snapshot(const TrainRun& r) {
    finetune::Checkpoint c;
    c.step = r.step;
    c.adapter = r.params;
    c.peft = finetune::peft_options(lora_config(), "tiny");
    c.optimizer = r.optimizer.state();
    c.rng_state.assign(r.rng.state().begin(), r.rng.state().end());
    c.config_json = "{\"lr\": 0.01,\n \"note\": \"k\\u00e9ep  exact\"}";
    c.trainer_state_json = "{\"tokens_seen\": 12345}\n";
    return c;
}

TEST(Checkpoint, RoundTripIsBitwise) {
    const auto model = fttest::small_config();
    TrainRun r = start(model);
    for (int i = 0; i < 2; ++i) train_step(r);
    const finetune::Checkpoint c = snapshot(r);
    fttest::TempDir run("ckpt");
    const std::string dir = run / finetune::checkpoint_name(c.step);
    ASSERT_TRUE(finetune::write_checkpoint(dir, c).ok());
    for (const char* f : {"adapter_config.json", "adapter_model.safetensors", "optimizer.safetensors",
                          "training_config.json", "trainer_state.json", "state.json"})
        EXPECT_TRUE(fs::exists(dir + "/" + f)) << f;
    auto back = finetune::read_checkpoint(dir, model);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back->step, 2);
    EXPECT_TRUE(fttest::same_values(back->adapter, c.adapter));
    EXPECT_EQ(back->optimizer.step, c.optimizer.step);
    EXPECT_EQ(back->optimizer.m, c.optimizer.m);
    EXPECT_EQ(back->optimizer.v, c.optimizer.v);
    EXPECT_EQ(back->rng_state, c.rng_state);
    EXPECT_EQ(back->config_json, c.config_json);
    EXPECT_EQ(back->trainer_state_json, c.trainer_state_json);
    EXPECT_EQ(back->peft.alpha, 8.0);
    EXPECT_EQ(back->peft.base_model_name, "tiny");
    // Nothing is left beside it.
    int entries = 0;
    for (const auto& e : fs::directory_iterator(run.path())) {
        (void)e;
        ++entries;
    }
    EXPECT_EQ(entries, 1);
}

TEST(Checkpoint, ResumeContinuesExactlyWhereItStopped) {
    const auto model = fttest::small_config();
    TrainRun straight = start(model);
    for (int i = 0; i < 6; ++i) train_step(straight);

    TrainRun first = start(model);
    for (int i = 0; i < 3; ++i) train_step(first);
    fttest::TempDir run("resume");
    ASSERT_TRUE(finetune::write_checkpoint(run / finetune::checkpoint_name(3), snapshot(first)).ok());
    auto latest = finetune::latest_checkpoint(run.path());
    ASSERT_TRUE(latest.has_value());
    auto c = finetune::read_checkpoint(*latest, model);
    ASSERT_TRUE(c.ok()) << c.error().message;
    TrainRun resumed;
    resumed.params = std::move(c->adapter);
    ASSERT_TRUE(resumed.optimizer.set_state(std::move(c->optimizer)).ok());
    ASSERT_EQ(c->rng_state.size(), 4u);
    ASSERT_TRUE(resumed.rng.set_state({c->rng_state[0], c->rng_state[1], c->rng_state[2], c->rng_state[3]}));
    resumed.step = c->step;
    for (int i = 0; i < 3; ++i) train_step(resumed);
    EXPECT_TRUE(fttest::same_values(resumed.params, straight.params));
    EXPECT_EQ(resumed.optimizer.state().m, straight.optimizer.state().m);
    EXPECT_EQ(resumed.step, 6);
}

TEST(Checkpoint, ReplacesAnExistingCheckpointWhole) {
    const auto model = fttest::small_config();
    TrainRun r = start(model);
    train_step(r);
    fttest::TempDir run("replace");
    const std::string dir = run / "checkpoint-last";
    ASSERT_TRUE(finetune::write_checkpoint(dir, snapshot(r)).ok());
    train_step(r);
    ASSERT_TRUE(finetune::write_checkpoint(dir + "/", snapshot(r)).ok());
    auto back = finetune::read_checkpoint(dir, model);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back->step, 2);
    EXPECT_TRUE(fttest::same_values(back->adapter, r.params));
    EXPECT_EQ(std::distance(fs::directory_iterator(run.path()), fs::directory_iterator()), 1);
}

TEST(Checkpoint, LatestSkipsLeftoversAndIncompleteFolders) {
    const auto model = fttest::small_config();
    TrainRun r = start(model);
    fttest::TempDir run("latest");
    EXPECT_FALSE(finetune::latest_checkpoint(run.path()).has_value());
    EXPECT_FALSE(finetune::latest_checkpoint(run / "does-not-exist").has_value());
    for (int64_t step : {1, 3, 2}) {
        r.step = step;
        ASSERT_TRUE(finetune::write_checkpoint(run / finetune::checkpoint_name(step), snapshot(r)).ok());
    }
    // What an interrupted write leaves: a complete-looking copy under a .tmp- name, and a folder without
    // state.json.
    fs::copy(run / "checkpoint-3", run / "checkpoint-9.tmp-4242", fs::copy_options::recursive);
    fttest::write_text(run / "checkpoint-9.tmp-4242/state.json",
                       fttest::read_text(run / "checkpoint-3/state.json"));
    fs::copy(run / "checkpoint-3", run / "checkpoint-7", fs::copy_options::recursive);
    fs::remove(run / "checkpoint-7/state.json");
    fttest::write_text(run / "notes.txt", "not a folder");
    auto latest = finetune::latest_checkpoint(run.path());
    ASSERT_TRUE(latest.has_value());
    EXPECT_EQ(fs::path(*latest).filename(), "checkpoint-3");
    auto incomplete = finetune::read_checkpoint(run / "checkpoint-7", model);
    ASSERT_FALSE(incomplete.ok());
    EXPECT_NE(incomplete.error().message.find("state.json is missing"), std::string::npos);
}

TEST(Checkpoint, ReportsTruncatedAndAlteredFiles) {
    const auto model = fttest::small_config();
    TrainRun r = start(model);
    train_step(r);
    fttest::TempDir run("corrupt");
    const std::string dir = run / "c";
    ASSERT_TRUE(finetune::write_checkpoint(dir, snapshot(r)).ok());

    const std::string weights = dir + "/adapter_model.safetensors";
    const std::string original = fttest::read_text(weights);
    fttest::write_text(weights, original.substr(0, original.size() / 2));
    auto bad = finetune::read_checkpoint(dir, model);
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message.find("adapter_model.safetensors"), std::string::npos)
        << bad.error().message;
    EXPECT_NE(bad.error().message.find("truncated"), std::string::npos) << bad.error().message;
    fttest::write_text(weights, original);
    ASSERT_TRUE(finetune::read_checkpoint(dir, model).ok());

    const std::string opt = dir + "/optimizer.safetensors";
    std::string bytes = fttest::read_text(opt);
    bytes[bytes.size() - 3] ^= 0x40;
    fttest::write_text(opt, bytes);
    bad = finetune::read_checkpoint(dir, model);
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message.find("optimizer.safetensors is corrupt"), std::string::npos)
        << bad.error().message;

    bytes[bytes.size() - 3] ^= 0x40;
    fttest::write_text(opt, bytes);
    ASSERT_TRUE(finetune::read_checkpoint(dir, model).ok());
    fs::remove(dir + "/training_config.json");
    bad = finetune::read_checkpoint(dir, model);
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message.find("training_config.json"), std::string::npos) << bad.error().message;

    fttest::write_text(dir + "/state.json", "{\"format\": \"crucible.checkpoint\", \"ver");
    bad = finetune::read_checkpoint(dir, model);
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message.find("state.json"), std::string::npos) << bad.error().message;

    // A checkpoint of another model's shapes.
    ASSERT_TRUE(finetune::write_checkpoint(run / "d", snapshot(r)).ok());
    bad = finetune::read_checkpoint(run / "d", fttest::small_config(engine::Arch::llama, 1));
    ASSERT_FALSE(bad.ok());
}

TEST(Checkpoint, RejectsBadInputWithoutWritingAnything) {
    const auto model = fttest::small_config();
    TrainRun r = start(model);
    fttest::TempDir run("reject");
    finetune::Checkpoint c = snapshot(r);
    c.config_json = "{\"unterminated\": ";
    auto st = finetune::write_checkpoint(run / "x", c);
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().message.find("not valid JSON"), std::string::npos);
    c = snapshot(r);
    c.optimizer.m.assign(3, 0.0f);
    c.optimizer.v.assign(3, 0.0f);
    EXPECT_FALSE(finetune::write_checkpoint(run / "x", c).ok());
    EXPECT_EQ(std::distance(fs::directory_iterator(run.path()), fs::directory_iterator()), 0);
}

}  // namespace
