// crucible-cli adapter export|import|merge: LoRA adapters between our
// checkpoints, PEFT folders and llama.cpp GGUF LoRAs, and merged into a model.
#include <cstdio>
#include <memory>
#include <string>

#include "args.h"
#include "engine/model.h"
#include "engine/thread_pool.h"
#include "finetune/adapter_io.h"
#include "finetune/gguf_lora.h"
#include "finetune/merge.h"
#include "finetune/peft.h"
#include "model_path.h"

namespace cli {
namespace {

std::unique_ptr<engine::Model> load_model_or_report(const std::string& spec) {
    const std::string path = resolve_model_path(spec);
    auto model = engine::Model::load(path);
    if (!model) {
        std::fprintf(stderr, "crucible-cli: %s\n", model.error().message.c_str());
        return nullptr;
    }
    return std::move(*model);
}

std::optional<finetune::LoadedAdapter> read_adapter_or_report(const std::string& path,
                                                              const engine::Model& model) {
    auto adapter = finetune::read_adapter(path, model.config());
    if (!adapter) {
        std::fprintf(stderr, "crucible-cli: %s\n", adapter.error().message.c_str());
        return std::nullopt;
    }
    return std::move(*adapter);
}

int report(const engine::Status& st) {
    if (st.ok()) return 0;
    std::fprintf(stderr, "crucible-cli: %s\n", st.error().message.c_str());
    return 1;
}

void print_written(const std::string& out, const char* format, const engine::LoraAdapter& adapter) {
    int64_t pairs = 0;
    adapter.for_each([&](int64_t, engine::LoraTarget, const engine::LoraPair&) { ++pairs; });
    std::printf("wrote %s: %s, %lld adapted layers, %lld parameters\n", out.c_str(), format,
                static_cast<long long>(pairs), static_cast<long long>(adapter.n_params()));
}

// Writes the adapter as a PEFT folder, naming the base model unless the source did.
engine::Status write_peft(const std::string& out, const finetune::LoadedAdapter& a,
                          const std::string& model_spec, const std::string& base_name) {
    finetune::PeftOptions options = a.options;
    if (!base_name.empty()) options.base_model_name = base_name;
    if (options.base_model_name.empty()) options.base_model_name = model_spec;
    return finetune::export_peft(out, a.adapter, options);
}

int export_adapter(int argc, char** argv) {
    Args args("adapter export", "--adapter CKPT_OR_PEFT_DIR --model MODEL --format peft|gguf --out PATH");
    args.option("adapter", "PATH", "a checkpoint folder, a PEFT folder or a GGUF LoRA");
    args.option("model", "MODEL", "the base model the adapter was trained on");
    args.option("format", "FORMAT", "peft (a folder) or gguf (a llama.cpp LoRA file)", "peft");
    args.option("out", "PATH", "where to write it");
    args.option("base-name", "NAME",
                "base_model_name_or_path / general.name to record (default: the source's)");
    int code = 0;
    if (!args.parse(argc, argv, &code)) return code;
    const std::string format = args.get("format");
    if (!args.has("adapter") || !args.has("model") || !args.has("out") ||
        (format != "peft" && format != "gguf")) {
        args.print_help();
        return 2;
    }
    auto model = load_model_or_report(args.get("model"));
    if (!model) return 1;
    auto adapter = read_adapter_or_report(args.get("adapter"), *model);
    if (!adapter) return 1;
    const std::string out = args.get("out");
    engine::Status st =
        format == "gguf"
            ? finetune::export_gguf_lora(out, adapter->adapter, model->config(), args.get("base-name"))
            : write_peft(out, *adapter, args.get("model"), args.get("base-name"));
    if (st.ok()) print_written(out, format == "gguf" ? "GGUF LoRA" : "PEFT folder", adapter->adapter);
    return report(st);
}

int import_adapter(int argc, char** argv) {
    Args args("adapter import", "--model MODEL --in PATH --out DIR");
    args.option("model", "MODEL", "the base model the adapter belongs to");
    args.option("in", "PATH", "a GGUF LoRA file or a PEFT folder");
    args.option("out", "DIR", "the PEFT folder to write");
    args.option("base-name", "NAME", "base_model_name_or_path to record (default: the source's, else MODEL)");
    int code = 0;
    if (!args.parse(argc, argv, &code)) return code;
    if (!args.has("model") || !args.has("in") || !args.has("out")) {
        args.print_help();
        return 2;
    }
    auto model = load_model_or_report(args.get("model"));
    if (!model) return 1;
    auto adapter = read_adapter_or_report(args.get("in"), *model);
    if (!adapter) return 1;
    const std::string out = args.get("out");
    engine::Status st = write_peft(out, *adapter, args.get("model"), args.get("base-name"));
    if (st.ok()) print_written(out, "PEFT folder", adapter->adapter);
    return report(st);
}

int merge_adapter(int argc, char** argv) {
    Args args("adapter merge",
              "--model MODEL --adapter PATH [--strength S] --type f16|bf16|q8_0 --out MODEL.gguf");
    args.option("model", "MODEL", "the base model (a GGUF file)");
    args.option("adapter", "PATH", "a checkpoint folder, a PEFT folder or a GGUF LoRA");
    args.option("strength", "S", "multiplies the adapter's contribution", "1.0");
    args.option("type", "TYPE", "f16, bf16 or q8_0 for the merged weights", "f16");
    args.option("out", "PATH", "the GGUF file to write");
    args.option("threads", "N", "worker threads (0 = all cores)", "0");
    int code = 0;
    if (!args.parse(argc, argv, &code)) return code;
    if (!args.has("model") || !args.has("adapter") || !args.has("out")) {
        args.print_help();
        return 2;
    }
    auto strength = args.get_double("strength");
    auto threads = args.get_int("threads");
    if (!strength || !threads) return 2;
    finetune::MergeOptions options;
    options.strength = static_cast<float>(*strength);
    const std::string type = args.get("type");
    if (type == "f16") {
        options.type = engine::DType::F16;
    } else if (type == "bf16") {
        options.type = engine::DType::BF16;
    } else if (type == "q8_0") {
        options.type = engine::DType::Q8_0;
    } else {
        std::fprintf(stderr, "crucible-cli: --type must be f16, bf16 or q8_0, not '%s'\n", type.c_str());
        return 2;
    }
    auto model = load_model_or_report(args.get("model"));
    if (!model) return 1;
    auto adapter = read_adapter_or_report(args.get("adapter"), *model);
    if (!adapter) return 1;
    engine::ThreadPool pool(*threads > 0 ? static_cast<int>(*threads) : engine::default_thread_count());
    const std::string out = args.get("out");
    engine::Status st = finetune::merge_to_gguf(out, *model, adapter->adapter, options, pool);
    if (st.ok())
        std::printf("wrote %s: %s merged with strength %g into %s weights\n", out.c_str(),
                    std::string(finetune::adapter_source_name(adapter->source)).c_str(), *strength,
                    type.c_str());
    return report(st);
}

}  // namespace

int run_adapter(int argc, char** argv) {
    const std::string sub = argc >= 2 ? argv[1] : "";
    if (sub == "export") return export_adapter(argc - 1, argv + 1);
    if (sub == "import") return import_adapter(argc - 1, argv + 1);
    if (sub == "merge") return merge_adapter(argc - 1, argv + 1);
    std::fprintf(
        sub == "--help" || sub == "-h" ? stdout : stderr,
        "usage: crucible-cli adapter export --adapter PATH --model MODEL --format peft|gguf --out PATH\n"
        "       crucible-cli adapter import --model MODEL --in PATH --out DIR\n"
        "       crucible-cli adapter merge --model MODEL --adapter PATH [--strength S] "
        "--type f16|bf16|q8_0 --out MODEL.gguf\n");
    return sub == "--help" || sub == "-h" ? 0 : 2;
}

}  // namespace cli
