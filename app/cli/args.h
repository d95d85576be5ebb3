// A small command-line option parser for crucible-cli commands: declared
// options with help text, `--name value` / `--name=value` / boolean flags,
// positional arguments, and a clear error for anything unknown or malformed.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace cli {

class Args {
public:
    Args(std::string command, std::string usage) : command_(std::move(command)), usage_(std::move(usage)) {}

    // Declare before parse(). `value_name` empty means a boolean flag.
    void option(std::string name, std::string value_name, std::string help, std::string default_value = "");
    void flag(std::string name, std::string help) { option(std::move(name), "", std::move(help)); }

    // Returns false after printing an error (or the help text, with *exit_code = 0).
    bool parse(int argc, char** argv, int* exit_code);

    bool has(const std::string& name) const;
    std::string get(const std::string& name) const;  // last value given, or the declared default
    std::vector<std::string> get_all(const std::string& name) const;  // every value of a repeated option
    // Numeric getters: parse or report an error naming the option (returns nullopt).
    std::optional<long long> get_int(const std::string& name) const;
    std::optional<double> get_double(const std::string& name) const;
    const std::vector<std::string>& positional() const { return positional_; }

    void print_help() const;

private:
    struct Option {
        std::string name, value_name, help, default_value;
        bool seen = false;
        std::vector<std::string> values;
    };
    const Option* find(const std::string& name) const;
    std::string command_, usage_;
    std::vector<Option> options_;
    std::vector<std::string> positional_;
};

}  // namespace cli
