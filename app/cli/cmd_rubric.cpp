// crucible-cli rubric create|edit|list|show: the workspace's versioned rubrics.
#include <cstdio>
#include <fstream>
#include <sstream>

#include "args.h"
#include "engine/json.h"
#include "evals/rubric.h"
#include "workspace/rubric_store.h"

namespace cli {

void declare_workspace_option(Args& args);
std::unique_ptr<crucible::Database> open_workspace_or_report(const Args& args);

namespace {

void declare_definition_options(Args& args) {
    args.option("scale", "pass_fail|likert5|likert10|pairwise", "the verdict scale");
    args.option("instructions", "TEXT", "what the judge checks, in plain language");
    args.option("file", "F", "read the instructions from a file");
    args.option("use-reference", "yes|no", "show the trace's reference answer to the judge");
    args.option("rationale-max-chars", "N", "longest rationale the judge may write");
}

// Applies the definition options to `rubric` (the previous version when editing).
bool apply_definition(const Args& args, evals::Rubric& rubric) {
    if (args.has("scale")) {
        auto scale = evals::scale_from_name(args.get("scale"));
        if (!scale || *scale == evals::Scale::range) {
            std::fprintf(stderr,
                         "crucible-cli: --scale must be pass_fail, likert5, likert10 or pairwise, got '%s'\n",
                         args.get("scale").c_str());
            return false;
        }
        rubric.scale = *scale;
    }
    if (args.has("instructions") && args.has("file")) {
        std::fprintf(stderr, "crucible-cli: give --instructions or --file, not both\n");
        return false;
    }
    if (args.has("instructions")) rubric.instructions = args.get("instructions");
    if (args.has("file")) {
        std::ifstream in(args.get("file"), std::ios::binary);
        if (!in) {
            std::fprintf(stderr, "crucible-cli: cannot read '%s'\n", args.get("file").c_str());
            return false;
        }
        std::stringstream text;
        text << in.rdbuf();
        rubric.instructions = text.str();
        while (!rubric.instructions.empty() && rubric.instructions.back() == '\n')
            rubric.instructions.pop_back();
    }
    if (args.has("use-reference")) {
        const std::string v = args.get("use-reference");
        if (v != "yes" && v != "no") {
            std::fprintf(stderr, "crucible-cli: --use-reference must be yes or no, got '%s'\n", v.c_str());
            return false;
        }
        rubric.use_reference = v == "yes";
    }
    if (args.has("rationale-max-chars")) {
        auto n = args.get_int("rationale-max-chars");
        if (!n) return false;
        rubric.rationale_max_chars = static_cast<int>(*n);
    }
    return true;
}

void print_rubric(const evals::Rubric& r) {
    std::printf(
        "%s v%d\n  scale: %s\n  use reference: %s\n  rationale max chars: %d\n  examples: %zu\n"
        "  instructions:\n",
        r.name.c_str(), r.version, std::string(evals::scale_name(r.scale)).c_str(),
        r.use_reference ? "yes" : "no", r.rationale_max_chars, r.examples.size());
    std::istringstream lines(r.instructions);
    for (std::string line; std::getline(lines, line);) std::printf("    %s\n", line.c_str());
}

int create_or_edit(int argc, char** argv, bool edit) {
    Args args(edit ? "rubric edit" : "rubric create",
              edit ? "NAME [--instructions TEXT|--file F] [--scale S] [--use-reference yes|no]"
                   : "--name NAME --scale S (--instructions TEXT|--file F) [--use-reference yes|no]");
    declare_workspace_option(args);
    if (!edit) args.option("name", "NAME", "the rubric's name");
    declare_definition_options(args);
    int code = 0;
    if (!args.parse(argc, argv, &code)) return code;
    evals::Rubric rubric;
    auto db = open_workspace_or_report(args);
    if (!db) return 1;
    crucible::RubricStore store(*db);
    if (edit) {
        if (args.positional().size() != 1) {
            std::fprintf(stderr, "crucible-cli rubric edit: give the rubric's NAME\n");
            return 2;
        }
        auto previous = store.get(args.positional()[0]);
        if (!previous) {
            std::fprintf(stderr, "crucible-cli: %s\n", previous.error().message.c_str());
            return 1;
        }
        if (!previous->has_value()) {
            std::fprintf(stderr, "crucible-cli: no rubric named '%s'\n", args.positional()[0].c_str());
            return 1;
        }
        rubric = **previous;
    } else {
        if (!args.has("name") || !args.has("scale") || (!args.has("instructions") && !args.has("file"))) {
            std::fprintf(stderr,
                         "crucible-cli rubric create: --name, --scale and --instructions (or --file) "
                         "are required\n");
            return 2;
        }
        rubric.name = args.get("name");
    }
    if (!apply_definition(args, rubric)) return 2;
    auto stored = edit ? store.addVersion(rubric) : store.create(rubric);
    if (!stored) {
        std::fprintf(stderr, "crucible-cli: %s\n", stored.error().message.c_str());
        return 1;
    }
    std::printf("rubric %s v%d stored\n", stored->name.c_str(), stored->version);
    return 0;
}

int list(int argc, char** argv) {
    Args args("rubric list", "[--json]");
    declare_workspace_option(args);
    args.flag("json", "print JSON");
    int code = 0;
    if (!args.parse(argc, argv, &code)) return code;
    auto db = open_workspace_or_report(args);
    if (!db) return 1;
    crucible::RubricStore store(*db);
    auto rows = store.list();
    if (!rows) {
        std::fprintf(stderr, "crucible-cli: %s\n", rows.error().message.c_str());
        return 1;
    }
    if (args.has("json")) {
        engine::json::Array out;
        for (const auto& r : *rows) {
            engine::json::Object o;
            o.set("name", engine::json::Value(r.name));
            o.set("version", engine::json::Value(static_cast<int64_t>(r.latestVersion)));
            o.set("versions", engine::json::Value(static_cast<int64_t>(r.versionCount)));
            o.set("scale", engine::json::Value(std::string(evals::scale_name(r.scale))));
            out.push_back(engine::json::Value(std::move(o)));
        }
        std::printf("%s\n", engine::json::dump(engine::json::Value(std::move(out))).c_str());
        return 0;
    }
    if (rows->empty()) std::printf("no rubrics (create one with 'crucible-cli rubric create')\n");
    for (const auto& r : *rows)
        std::printf("%-24s v%-3d %-10s (%d version%s)\n", r.name.c_str(), r.latestVersion,
                    std::string(evals::scale_name(r.scale)).c_str(), r.versionCount,
                    r.versionCount == 1 ? "" : "s");
    return 0;
}

int show(int argc, char** argv) {
    Args args("rubric show", "NAME[@VERSION] [--version V] [--json]");
    declare_workspace_option(args);
    args.option("version", "V", "this version (default: the newest)");
    args.flag("json", "print the rubric's JSON definition");
    int code = 0;
    if (!args.parse(argc, argv, &code)) return code;
    if (args.positional().size() != 1) {
        std::fprintf(stderr, "crucible-cli rubric show: give the rubric's NAME\n");
        return 2;
    }
    auto ref = crucible::parseRubricRef(args.positional()[0]);
    if (!ref) {
        std::fprintf(stderr, "crucible-cli: %s\n", ref.error().message.c_str());
        return 2;
    }
    if (args.has("version")) {
        auto v = args.get_int("version");
        if (!v) return 2;
        ref->second = static_cast<int>(*v);
    }
    auto db = open_workspace_or_report(args);
    if (!db) return 1;
    crucible::RubricStore store(*db);
    auto rubric = store.get(ref->first, ref->second);
    if (!rubric) {
        std::fprintf(stderr, "crucible-cli: %s\n", rubric.error().message.c_str());
        return 1;
    }
    if (!rubric->has_value()) {
        std::fprintf(stderr, "crucible-cli: no rubric '%s'%s\n", ref->first.c_str(),
                     ref->second > 0 ? (" version " + std::to_string(ref->second)).c_str() : "");
        return 1;
    }
    if (args.has("json")) {
        engine::json::DumpOptions options;
        options.indent = 2;
        std::printf("%s\n", engine::json::dump(evals::rubric_to_json(**rubric), options).c_str());
    } else {
        print_rubric(**rubric);
    }
    return 0;
}

}  // namespace

int run_rubric(int argc, char** argv) {
    const std::string sub = argc >= 2 ? argv[1] : "";
    if (sub == "create") return create_or_edit(argc - 1, argv + 1, false);
    if (sub == "edit") return create_or_edit(argc - 1, argv + 1, true);
    if (sub == "list") return list(argc - 1, argv + 1);
    if (sub == "show") return show(argc - 1, argv + 1);
    std::fprintf(stderr,
                 "usage: crucible-cli rubric create|edit|list|show ...\n"
                 "  create --name N --scale S --instructions T   version 1 of a new rubric\n"
                 "  edit NAME [changes]                          store the next version\n"
                 "  list                                         every rubric, newest version\n"
                 "  show NAME[@V] [--json]                       one version's definition\n"
                 "Run 'crucible-cli rubric <sub> --help' for options.\n");
    return sub == "--help" || sub == "-h" ? 0 : 2;
}

}  // namespace cli
