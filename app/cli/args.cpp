#include "args.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>

namespace cli {

void Args::option(std::string name, std::string value_name, std::string help, std::string default_value) {
    options_.push_back(
        Option{std::move(name), std::move(value_name), std::move(help), std::move(default_value), false, {}});
}

const Args::Option* Args::find(const std::string& name) const {
    for (const auto& o : options_)
        if (o.name == name) return &o;
    return nullptr;
}

bool Args::parse(int argc, char** argv, int* exit_code) {
    *exit_code = 2;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            print_help();
            *exit_code = 0;
            return false;
        }
        if (arg.rfind("--", 0) != 0 || arg == "--") {
            positional_.push_back(arg);
            continue;
        }
        std::string name = arg.substr(2), value;
        bool inline_value = false;
        if (auto eq = name.find('='); eq != std::string::npos) {
            value = name.substr(eq + 1);
            name = name.substr(0, eq);
            inline_value = true;
        }
        Option* opt = const_cast<Option*>(find(name));
        if (!opt) {
            std::fprintf(stderr, "crucible-cli %s: unknown option --%s (see --help)\n", command_.c_str(),
                         name.c_str());
            return false;
        }
        if (opt->value_name.empty()) {
            if (inline_value) {
                std::fprintf(stderr, "crucible-cli %s: --%s takes no value\n", command_.c_str(),
                             name.c_str());
                return false;
            }
        } else if (!inline_value) {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "crucible-cli %s: --%s needs a value (%s)\n", command_.c_str(),
                             name.c_str(), opt->value_name.c_str());
                return false;
            }
            value = argv[++i];
        }
        opt->seen = true;
        opt->values.push_back(value);
    }
    return true;
}

bool Args::has(const std::string& name) const {
    const Option* o = find(name);
    return o && o->seen;
}

std::string Args::get(const std::string& name) const {
    const Option* o = find(name);
    if (!o) return "";
    return o->seen ? o->values.back() : o->default_value;
}

std::vector<std::string> Args::get_all(const std::string& name) const {
    const Option* o = find(name);
    return o ? o->values : std::vector<std::string>{};
}

std::optional<long long> Args::get_int(const std::string& name) const {
    std::string s = get(name);
    char* end = nullptr;
    errno = 0;
    long long v = std::strtoll(s.c_str(), &end, 10);
    if (s.empty() || *end != '\0' || errno != 0) {
        std::fprintf(stderr, "crucible-cli %s: --%s expects an integer, got '%s'\n", command_.c_str(),
                     name.c_str(), s.c_str());
        return std::nullopt;
    }
    return v;
}

std::optional<double> Args::get_double(const std::string& name) const {
    std::string s = get(name);
    char* end = nullptr;
    errno = 0;
    double v = std::strtod(s.c_str(), &end);
    if (s.empty() || *end != '\0' || errno != 0) {
        std::fprintf(stderr, "crucible-cli %s: --%s expects a number, got '%s'\n", command_.c_str(),
                     name.c_str(), s.c_str());
        return std::nullopt;
    }
    return v;
}

void Args::print_help() const {
    std::printf("usage: crucible-cli %s %s\n\noptions:\n", command_.c_str(), usage_.c_str());
    for (const auto& o : options_) {
        std::string left = "--" + o.name + (o.value_name.empty() ? "" : " " + o.value_name);
        std::string help = o.help;
        if (!o.default_value.empty()) help += " (default " + o.default_value + ")";
        std::printf("  %-26s %s\n", left.c_str(), help.c_str());
    }
}

}  // namespace cli
