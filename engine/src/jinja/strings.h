// Python str operations shared by string methods and filters (internal).
#pragma once

#include <string>
#include <vector>

#include "engine/jinja_value.h"

namespace engine::jinja {

std::string py_strip(const std::string& s, const Value& chars, bool left, bool right);
std::string py_upper(const std::string& s);
std::string py_lower(const std::string& s);
std::string py_title(const std::string& s);       // str.title()
std::string py_capitalize(const std::string& s);  // str.capitalize()
std::string py_replace(const std::string& s, const std::string& old, const std::string& repl,
                       std::int64_t count);
// sep empty = split on whitespace runs; maxsplit < 0 = no limit.
std::vector<std::string> py_split(const std::string& s, const std::string& sep, bool whitespace,
                                  std::int64_t maxsplit);
std::vector<std::string> py_splitlines(const std::string& s);
std::string py_center(const std::string& s, std::int64_t width, const std::string& fill);

}  // namespace engine::jinja
