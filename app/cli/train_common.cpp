#include "train_common.h"

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "finetune/peft.h"
#include "workspace/exporter.h"

namespace cli {

void declare_workspace_option(Args& args);
void declare_filter_options(Args& args);
std::unique_ptr<crucible::Database> open_workspace_or_report(const Args& args);
std::optional<crucible::SearchQuery> search_query_from(const Args& args, crucible::TraceStore& store);

namespace {

std::atomic<int> g_stop{0};

void on_sigint(int) {
    if (g_stop.fetch_add(1) >= 1) {
        std::signal(SIGINT, SIG_DFL);
        std::raise(SIGINT);
    }
}

}  // namespace

void install_stop_handler() { std::signal(SIGINT, on_sigint); }
bool stop_requested() { return g_stop.load() > 0; }

void declare_training_options(Args& args, double default_lr, const char* default_schedule) {
    args.option("data", "FILE",
                "training records (JSONL); without it, the workspace selection (filters below)");
    args.option("out", "DIR", "run folder: checkpoints, metrics.jsonl, the final adapter");
    args.flag("resume", "continue the run in --out from its latest checkpoint");
    args.option("rank", "R", "LoRA rank", "16");
    args.option("alpha", "A", "LoRA alpha (scale = alpha / rank)", "32");
    args.flag("rslora", "scale by alpha / sqrt(rank)");
    args.option("lora-dropout", "P", "dropout on the adapters' inputs", "0");
    args.option("targets", "LIST", "all-linear or q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj",
                "all-linear");
    args.option("lr", "X", "peak learning rate", std::to_string(default_lr));
    args.option("schedule", "constant|linear|cosine", "learning-rate schedule", default_schedule);
    args.option("warmup", "N", "warmup steps", "0");
    args.option("max-grad-norm", "X", "clip the global gradient norm (0 = off)", "1.0");
    args.option("weight-decay", "X", "AdamW decoupled weight decay", "0");
    args.option("seed", "N", "seed of the adapter init, data order and sampling", "0");
    args.option("threads", "N", "CPU threads (default: all)");
    args.option("checkpoint-every", "N", "write a checkpoint every N steps", "10");
    declare_workspace_option(args);
    declare_filter_options(args);
}

std::optional<finetune::LoraConfig> lora_config_from(const Args& args) {
    finetune::LoraConfig c;
    auto rank = args.get_int("rank");
    auto alpha = args.get_double("alpha");
    auto dropout = args.get_double("lora-dropout");
    auto seed = args.get_int("seed");
    if (!rank || !alpha || !dropout || !seed) return std::nullopt;
    c.rank = *rank;
    c.alpha = static_cast<float>(*alpha);
    c.use_rslora = args.has("rslora");
    c.dropout = static_cast<float>(*dropout);
    c.seed = static_cast<uint64_t>(*seed);
    auto targets = finetune::parse_lora_targets(args.get("targets"));
    if (!targets) {
        std::fprintf(stderr, "--targets: %s\n", targets.error().message.c_str());
        return std::nullopt;
    }
    c.targets = *targets;
    if (auto st = finetune::validate_lora_config(c); !st) {
        std::fprintf(stderr, "%s\n", st.error().message.c_str());
        return std::nullopt;
    }
    return c;
}

std::optional<finetune::LrSchedule> schedule_from(const Args& args) {
    finetune::LrSchedule s;
    auto kind = finetune::parse_lr_schedule(args.get("schedule"));
    auto lr = args.get_double("lr");
    auto warmup = args.get_int("warmup");
    if (!kind) {
        std::fprintf(stderr, "--schedule: %s\n", kind.error().message.c_str());
        return std::nullopt;
    }
    if (!lr || !warmup) return std::nullopt;
    s.kind = *kind;
    s.peak_lr = *lr;
    s.warmup_steps = *warmup;
    return s;
}

std::optional<finetune::AdamWOptions> adamw_from(const Args& args) {
    finetune::AdamWOptions o;
    auto wd = args.get_double("weight-decay");
    if (!wd) return std::nullopt;
    o.weight_decay = static_cast<float>(*wd);
    return o;
}

std::string content_text(const nlohmann::json& content) {
    if (content.is_string()) return content.get<std::string>();
    std::string out;
    if (content.is_array())
        for (const auto& part : content)
            if (part.is_object() && part.contains("text") && part["text"].is_string())
                out += part["text"].get<std::string>();
    return out;
}

std::optional<std::vector<DataLine>> read_training_lines(const Args& args, const std::string& command,
                                                         const std::string& export_format) {
    std::string text, source;
    if (args.has("data")) {
        source = args.get("data");
        std::ifstream in(source, std::ios::binary);
        if (!in) {
            std::fprintf(stderr, "crucible-cli %s: cannot read '%s'\n", command.c_str(), source.c_str());
            return std::nullopt;
        }
        std::ostringstream ss;
        ss << in.rdbuf();
        text = ss.str();
    } else {
        auto db = open_workspace_or_report(args);
        if (!db) return std::nullopt;
        crucible::TraceStore store(*db);
        auto q = search_query_from(args, store);
        if (!q) return std::nullopt;
        std::ostringstream ss;
        crucible::Exporter exporter(store);
        auto summary = exporter.exportTo(*q, *crucible::exportFormatFromName(export_format), ss);
        if (!summary) {
            std::fprintf(stderr, "crucible-cli %s: %s\n", command.c_str(), summary.error().message.c_str());
            return std::nullopt;
        }
        std::fprintf(stderr, "%lld traces selected from the workspace, %lld usable for %s\n",
                     static_cast<long long>(summary->traces), static_cast<long long>(summary->written),
                     command.c_str());
        text = ss.str();
        source = "workspace";
    }
    std::vector<DataLine> lines;
    std::istringstream in(text);
    std::string line;
    int64_t number = 0, rejected = 0;
    while (std::getline(in, line)) {
        ++number;
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        const std::string where = source + ":" + std::to_string(number);
        auto value = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
        if (value.is_discarded() || !value.is_object()) {
            std::fprintf(stderr, "%s: skipped: not a JSON object\n", where.c_str());
            ++rejected;
            continue;
        }
        lines.push_back({std::move(value), where});
    }
    if (lines.empty()) {
        std::fprintf(stderr, "crucible-cli %s: no training records in %s\n", command.c_str(), source.c_str());
        return std::nullopt;
    }
    return lines;
}

namespace fs = std::filesystem;

bool TrainingRun::open(const nlohmann::json& config, bool resume, const engine::ModelConfig& model,
                       std::optional<finetune::Checkpoint>* resumed) {
    std::error_code ec;
    const fs::path run_json = fs::path(dir_) / "run.json";
    if (resume) {
        std::ifstream in(run_json);
        if (!in) {
            std::fprintf(stderr, "crucible-cli %s: --resume: no run in '%s' (run.json missing)\n",
                         command_.c_str(), dir_.c_str());
            return false;
        }
        auto saved = nlohmann::json::parse(in, nullptr, false);
        if (saved.is_discarded() || saved != config) {
            std::fprintf(
                stderr,
                "crucible-cli %s: --resume: the options differ from the run in '%s' (see its run.json); a "
                "resumed run must repeat them\n",
                command_.c_str(), dir_.c_str());
            return false;
        }
        auto latest = finetune::latest_checkpoint((fs::path(dir_) / "checkpoints").string());
        if (!latest) {
            std::fprintf(stderr, "%s: no checkpoint yet; starting from step 0\n", dir_.c_str());
        } else {
            auto c = finetune::read_checkpoint(*latest, model);
            if (!c) {
                std::fprintf(stderr, "crucible-cli %s: %s\n", command_.c_str(), c.error().message.c_str());
                return false;
            }
            *resumed = std::move(*c);
        }
        // Metrics logged after the checkpoint belong to steps that will run again.
        const int64_t keep = *resumed ? (*resumed)->step : 0;
        const fs::path metrics = fs::path(dir_) / "metrics.jsonl";
        std::ifstream old(metrics);
        std::string kept, line;
        while (std::getline(old, line)) {
            auto j = nlohmann::json::parse(line, nullptr, false);
            if (!j.is_discarded() && j.value("step", int64_t{0}) <= keep) kept += line + "\n";
        }
        old.close();
        std::ofstream(metrics, std::ios::trunc) << kept;
        return true;
    }
    if (fs::exists(run_json)) {
        std::fprintf(stderr, "crucible-cli %s: '%s' already holds a run; use --resume or another --out\n",
                     command_.c_str(), dir_.c_str());
        return false;
    }
    fs::create_directories(fs::path(dir_) / "checkpoints", ec);
    if (ec) {
        std::fprintf(stderr, "crucible-cli %s: cannot create '%s': %s\n", command_.c_str(), dir_.c_str(),
                     ec.message().c_str());
        return false;
    }
    std::ofstream(run_json) << config.dump(2) << "\n";
    std::ofstream(fs::path(dir_) / "metrics.jsonl", std::ios::trunc);
    return true;
}

bool TrainingRun::checkpoint(const finetune::Checkpoint& c) {
    const fs::path where = fs::path(dir_) / "checkpoints" / finetune::checkpoint_name(c.step);
    auto st = finetune::write_checkpoint(where.string(), c);
    if (!st) {
        std::fprintf(stderr, "crucible-cli %s: checkpoint failed: %s\n", command_.c_str(),
                     st.error().message.c_str());
        return false;
    }
    return true;
}

void TrainingRun::log_step(const nlohmann::json& metrics) {
    std::ofstream out(fs::path(dir_) / "metrics.jsonl", std::ios::app);
    out << metrics.dump() << "\n";
}

bool TrainingRun::export_adapter(const engine::LoraAdapter& adapter, const finetune::PeftOptions& options) {
    const fs::path where = fs::path(dir_) / "adapter";
    auto st = finetune::export_peft(where.string(), adapter, options);
    if (!st) {
        std::fprintf(stderr, "crucible-cli %s: adapter export failed: %s\n", command_.c_str(),
                     st.error().message.c_str());
        return false;
    }
    std::fprintf(stderr, "adapter written to %s (PEFT)\n", where.c_str());
    return true;
}

}  // namespace cli
