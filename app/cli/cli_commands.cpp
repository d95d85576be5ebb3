#include "cli_commands.h"

namespace cli {

int run_info(int argc, char** argv);
int run_generate(int argc, char** argv);
int run_chat(int argc, char** argv);
int run_bench(int argc, char** argv);
int run_import(int argc, char** argv);
int run_traces(int argc, char** argv);
int run_datasets(int argc, char** argv);
int run_export(int argc, char** argv);
int run_adapter(int argc, char** argv);
int run_sft(int argc, char** argv);
int run_grpo(int argc, char** argv);
int run_rubric(int argc, char** argv);
int run_judge(int argc, char** argv);
int run_calibrate(int argc, char** argv);
int run_eval_command(int argc, char** argv);

const std::vector<Command>& commands() {
    static const std::vector<Command> table = {
        {"info", "show what a model file holds (architecture, sizes, tensor types, chat template)", run_info},
        {"generate", "complete one prompt (streamed, or --json with token ids and log-probs)", run_generate},
        {"chat", "chat with a model in the terminal", run_chat},
        {"bench", "measure prefill and decode tokens/s and peak memory", run_bench},
        {"import", "import trace files, folders, .gz and .zip into the workspace", run_import},
        {"traces", "list, search, show and label the workspace's traces", run_traces},
        {"datasets", "create, list and show versioned datasets of traces", run_datasets},
        {"export", "export traces as SFT, preference, RFT or canonical JSONL", run_export},
        {"rubric", "create, edit, list and show versioned judge rubrics", run_rubric},
        {"judge", "judge workspace traces with a rubric and a local judge model (cached)", run_judge},
        {"calibrate", "compare a rubric's judge with human labels (agreement, confusion, trend)",
         run_calibrate},
        {"eval",
         "eval runs: a dataset x models/adapters x rubrics, with bootstrap CIs and pairwise win rates",
         run_eval_command},
        {"sft", "LoRA supervised fine-tuning on good traces or a chat JSONL file", run_sft},
        {"grpo", "LoRA reinforcement fine-tuning (GRPO) with a programmatic reward", run_grpo},
        {"adapter", "convert LoRA adapters (PEFT, GGUF LoRA, checkpoints) and merge them into a GGUF",
         run_adapter},
    };
    return table;
}

}  // namespace cli
