// crucible-cli: entry point. Dispatches to one command per cmd_*.cpp file.
#include <cstdio>
#include <cstring>
#include <string>

#include "cli_commands.h"

namespace {

void print_usage() {
    std::printf(
        "usage: crucible-cli <command> [options]\n\n"
        "commands:\n");
    for (const auto& command : cli::commands()) std::printf("  %-10s %s\n", command.name, command.summary);
    std::printf(
        "\nMODEL is a path to a GGUF file or a model folder, or 'default'.\n"
        "Run 'crucible-cli <command> --help' for the options of a command.\n");
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
        print_usage();
        return argc < 2 ? 2 : 0;
    }
    if (!std::strcmp(argv[1], "--version")) {
        std::printf("crucible-cli 0.1.0\n");
        return 0;
    }
    for (const auto& command : cli::commands())
        if (!std::strcmp(argv[1], command.name)) return command.run(argc - 1, argv + 1);
    std::fprintf(stderr, "crucible-cli: unknown command '%s'\n\n", argv[1]);
    print_usage();
    return 2;
}
