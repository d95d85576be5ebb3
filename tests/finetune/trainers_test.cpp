// SFT and GRPO trainers on a tiny model with a byte-level tokenizer and a
// ChatML template: assistant-token masks, SFT memorising its data, GRPO
// raising a programmatic reward, exact sampling/training log-prob agreement,
// and a stopped-and-restored run ending bitwise equal to an uninterrupted one.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "engine/generator.h"
#include "engine/model_bundle.h"
#include "finetune/grpo.h"
#include "finetune/sft.h"
#include "tiny_model.h"

namespace {

using namespace engine;

struct TinyBundle {
    std::string path;
    std::unique_ptr<ModelBundle> bundle;
    ~TinyBundle() { std::remove(path.c_str()); }
};

std::unique_ptr<TinyBundle> tiny_bundle(Arch arch = Arch::llama) {
    tiny::TinySpec spec = tiny::default_spec(arch, DType::F32);
    spec.with_tokenizer = true;
    spec.n_vocab = tiny::kTinyTokenizerVocab;
    auto out = std::make_unique<TinyBundle>();
    out->path = tiny::temp_path("tiny_tok");
    auto st = tiny::write_gguf(spec, tiny::make_weights(spec), out->path);
    EXPECT_TRUE(st.ok()) << st.error().message;
    auto b = ModelBundle::load(out->path);
    EXPECT_TRUE(b.ok()) << b.error().message;
    if (b.ok()) out->bundle = std::move(*b);
    return out;
}

finetune::SftMessage msg(const std::string& role, const std::string& content, float weight = 1.0f) {
    finetune::SftMessage m;
    m.message.role = role;
    m.message.content = content;
    m.weight = weight;
    return m;
}

TEST(SftData, TargetsAreTheAssistantTokensOnly) {
    auto t = tiny_bundle();
    ASSERT_TRUE(t->bundle);
    const Tokenizer& tok = t->bundle->tokenizer();
    auto ex = finetune::build_sft_example(
        *t->bundle,
        {msg("system", "be brief"), msg("user", "hi"), msg("assistant", "yo"), msg("user", "more"),
         msg("assistant", "ok", 0.0f), msg("user", "again"), msg("assistant", "fine")},
        512);
    ASSERT_TRUE(ex.ok()) << ex.error().message;
    std::string trained;
    for (int64_t p : ex->targets) trained += tok.decode(std::span(&ex->tokens[static_cast<size_t>(p)], 1));
    // The weighted-0 turn is excluded; each trained turn ends with its end-of-turn marker.
    EXPECT_EQ(trained, "yo<|im_end|>\nfine<|im_end|>\n");
    // The tokens are the whole rendered conversation.
    auto whole = t->bundle->encode_chat(
        {msg("system", "be brief").message, msg("user", "hi").message, msg("assistant", "yo").message,
         msg("user", "more").message, msg("assistant", "ok").message, msg("user", "again").message,
         msg("assistant", "fine").message},
        false);
    ASSERT_TRUE(whole.ok());
    EXPECT_EQ(ex->tokens, *whole);

    EXPECT_FALSE(finetune::build_sft_example(*t->bundle, {msg("user", "hi")}, 512).ok());
    EXPECT_FALSE(
        finetune::build_sft_example(*t->bundle, {msg("user", "hi"), msg("assistant", "yo")}, 5).ok());
}

finetune::SftOptions sft_options() {
    finetune::SftOptions o;
    o.lora.rank = 8;
    o.lora.alpha = 16;
    o.lora.seed = 3;
    o.schedule.kind = finetune::LrScheduleKind::constant;
    o.schedule.peak_lr = 2e-2;
    o.warmup_ratio = 0.0;
    o.epochs = 40;
    o.batch_size = 2;
    o.seed = 5;
    return o;
}

std::vector<finetune::SftExample> sft_examples(const ModelBundle& b) {
    std::vector<finetune::SftExample> out;
    for (auto [q, a] : {std::pair{"2+2?", "four"}, std::pair{"sky?", "blue"}}) {
        auto ex = finetune::build_sft_example(b, {msg("user", q), msg("assistant", a)}, 128);
        EXPECT_TRUE(ex.ok());
        out.push_back(*ex);
    }
    return out;
}

TEST(SftTrainer, MemorisesATinyDataset) {
    auto t = tiny_bundle();
    ASSERT_TRUE(t->bundle);
    const ModelBundle& b = *t->bundle;
    finetune::SftOptions o = sft_options();
    auto adapter = finetune::make_adapter(o.lora, b.model().config());
    ASSERT_TRUE(adapter.ok());
    auto trainer = finetune::SftTrainer::create(b.model(), sft_examples(b), std::move(*adapter), o, 2);
    ASSERT_TRUE(trainer.ok()) << trainer.error().message;
    EXPECT_EQ((*trainer)->total_steps(), 40);
    double first = 0.0, last = 0.0;
    while (!(*trainer)->done()) {
        auto r = (*trainer)->step();
        ASSERT_TRUE(r.ok()) << r.error().message;
        if (r->step == 1) first = r->loss;
        last = r->loss;
        EXPECT_GT(r->grad_norm, 0.0);
    }
    EXPECT_LT(last, 0.1 * first) << "first loss " << first << ", last " << last;

    // Greedy answers with the trained adapter are the training answers.
    auto gen = Generator::create(b.model(), b.tokenizer(), {256, 2});
    ASSERT_TRUE(gen.ok());
    (*gen)->set_adapter(&(*trainer)->adapter());
    for (auto [q, a] : {std::pair{"2+2?", "four"}, std::pair{"sky?", "blue"}}) {
        auto prompt = b.encode_chat({msg("user", q).message}, true);
        ASSERT_TRUE(prompt.ok());
        GenerationOptions go;
        go.sampling.temperature = 0.0f;
        go.max_tokens = 10;
        auto out = (*gen)->generate(*prompt, go);
        ASSERT_TRUE(out.ok());
        EXPECT_EQ(out->text, a);
        EXPECT_EQ(out->stop_reason, StopReason::end_of_generation);
    }
}

TEST(SftTrainer, RestoredRunEqualsUninterruptedRun) {
    auto t = tiny_bundle(Arch::qwen3);
    ASSERT_TRUE(t->bundle);
    const ModelBundle& b = *t->bundle;
    finetune::SftOptions o = sft_options();
    o.epochs = 3;
    o.lora.dropout = 0.1f;  // the dropout masks must be reproduced too
    auto make = [&] {
        auto adapter = finetune::make_adapter(o.lora, b.model().config());
        EXPECT_TRUE(adapter.ok());
        auto tr = finetune::SftTrainer::create(b.model(), sft_examples(b), std::move(*adapter), o, 2);
        EXPECT_TRUE(tr.ok());
        return std::move(*tr);
    };
    auto straight = make();
    while (!straight->done()) ASSERT_TRUE(straight->step().ok());

    auto first = make();
    ASSERT_TRUE(first->step().ok());
    ASSERT_TRUE(first->step().ok());
    LoraAdapter saved = first->adapter();
    finetune::AdamWState state = first->optimizer().state();
    first.reset();  // the process "dies"
    auto resumed = make();
    ASSERT_TRUE(resumed->restore(2, saved, state).ok());
    while (!resumed->done()) ASSERT_TRUE(resumed->step().ok());
    straight->adapter().for_each([&](int64_t il, LoraTarget tg, const LoraPair& p) {
        const LoraPair* q = resumed->adapter().find(il, tg);
        ASSERT_NE(q, nullptr);
        EXPECT_EQ(p.a, q->a);
        EXPECT_EQ(p.b, q->b);
    });
}

// Reward: the share of the letter 'a' among the completion's characters.
finetune::RewardFunction letter_a_reward() {
    return [](const finetune::GrpoPrompt&, const std::string& text) -> Result<finetune::Reward> {
        finetune::Reward r;
        const auto n = std::count(text.begin(), text.end(), 'a');
        r.value = text.empty() ? 0.0 : double(n) / double(text.size());
        r.components.emplace_back("letter_a", r.value);
        return r;
    };
}

TEST(GrpoTrainer, RaisesTheRewardAndSamplingMatchesTraining) {
    auto t = tiny_bundle();
    ASSERT_TRUE(t->bundle);
    const ModelBundle& b = *t->bundle;
    std::vector<finetune::GrpoPrompt> prompts;
    for (const char* q : {"say", "tell", "go"}) {
        finetune::GrpoPrompt p;
        p.id = q;
        ChatMessage m;
        m.role = "user";
        m.content = q;
        p.messages.push_back(m);
        prompts.push_back(p);
    }
    finetune::GrpoOptions o;
    o.lora.rank = 4;
    o.lora.alpha = 8;
    o.schedule.peak_lr = 3e-2;
    o.steps = 14;
    o.prompts_per_step = 2;
    o.group_size = 6;
    o.max_completion_tokens = 8;
    o.n_threads = 2;
    o.beta = 0.01;  // exercise the KL path
    auto adapter = finetune::make_adapter(o.lora, b.model().config());
    ASSERT_TRUE(adapter.ok());
    auto trainer = finetune::GrpoTrainer::create(b, prompts, letter_a_reward(), std::move(*adapter), o);
    ASSERT_TRUE(trainer.ok()) << trainer.error().message;
    std::vector<double> rewards;
    while (!(*trainer)->done()) {
        auto r = (*trainer)->step();
        ASSERT_TRUE(r.ok()) << r.error().message;
        rewards.push_back(r->reward_mean);
        // The training pass reproduces the sampler's log-probs exactly.
        EXPECT_EQ(r->max_logprob_diff, 0.0) << "step " << r->step;
        if (r->groups_used > 0) {
            EXPECT_EQ(r->clip_fraction, 0.0);  // ratio is exactly 1 on the first iteration
            EXPECT_GE(r->kl, 0.0);
        } else {
            EXPECT_TRUE(std::isnan(r->kl));  // no update: nothing was measured
        }
        ASSERT_EQ(r->component_means.size(), 1u);
    }
    const double early = (rewards[0] + rewards[1] + rewards[2]) / 3.0;
    const double late = (rewards[11] + rewards[12] + rewards[13]) / 3.0;
    EXPECT_GT(late, early + 0.15) << "early " << early << " late " << late;
}

}  // namespace
