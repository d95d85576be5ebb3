// The table of crucible-cli commands. Each command lives in its own cmd_*.cpp
// and registers itself in cli_commands.cpp.
#pragma once

#include <vector>

namespace cli {

struct Command {
    const char* name;
    const char* summary;
    int (*run)(int argc, char** argv);  // argv[0] is the command name
};

const std::vector<Command>& commands();

}  // namespace cli
