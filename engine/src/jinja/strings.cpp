#include "jinja/strings.h"

#include <algorithm>

#include "jinja/utf8.h"

namespace engine::jinja {

std::string py_strip(const std::string& s, const Value& chars, bool left, bool right) {
    const auto cps = utf8_decode(s);
    std::vector<char32_t> set;
    const bool custom = chars.is_string();
    if (custom) set = utf8_decode(chars.as_string());
    auto strip_it = [&](char32_t c) {
        return custom ? std::find(set.begin(), set.end(), c) != set.end() : is_py_space(c);
    };
    std::size_t b = 0, e = cps.size();
    if (left)
        while (b < e && strip_it(cps[b])) ++b;
    if (right)
        while (e > b && strip_it(cps[e - 1])) --e;
    return utf8_encode(cps, b, e);
}

std::string py_upper(const std::string& s) {
    std::string out;
    for (char32_t c : utf8_decode(s)) {
        if (c == 0xDF) {  // German sharp s uppercases to SS, as in Python
            out += "SS";
            continue;
        }
        utf8_append(out, to_upper_cp(c));
    }
    return out;
}

std::string py_lower(const std::string& s) {
    std::string out;
    for (char32_t c : utf8_decode(s)) utf8_append(out, to_lower_cp(c));
    return out;
}

static bool is_cased(char32_t c) { return to_upper_cp(c) != c || to_lower_cp(c) != c; }

std::string py_title(const std::string& s) {
    std::string out;
    bool prev_cased = false;
    for (char32_t c : utf8_decode(s)) {
        utf8_append(out, prev_cased ? to_lower_cp(c) : to_upper_cp(c));
        prev_cased = is_cased(c);
    }
    return out;
}

std::string py_capitalize(const std::string& s) {
    std::string out;
    bool first = true;
    for (char32_t c : utf8_decode(s)) {
        utf8_append(out, first ? to_upper_cp(c) : to_lower_cp(c));
        first = false;
    }
    return out;
}

std::string py_replace(const std::string& s, const std::string& old, const std::string& repl,
                       std::int64_t count) {
    std::string out;
    if (old.empty()) {
        // Python inserts the replacement between every character (and at both ends).
        const auto cps = utf8_decode(s);
        std::int64_t done = 0;
        for (std::size_t i = 0; i <= cps.size(); ++i) {
            if (count < 0 || done < count) {
                out += repl;
                ++done;
            }
            if (i < cps.size()) utf8_append(out, cps[i]);
        }
        return out;
    }
    std::size_t pos = 0;
    std::int64_t done = 0;
    while (count < 0 || done < count) {
        const std::size_t hit = s.find(old, pos);
        if (hit == std::string::npos) break;
        out.append(s, pos, hit - pos);
        out += repl;
        pos = hit + old.size();
        ++done;
    }
    out.append(s, pos, std::string::npos);
    return out;
}

std::vector<std::string> py_split(const std::string& s, const std::string& sep, bool whitespace,
                                  std::int64_t maxsplit) {
    std::vector<std::string> parts;
    if (whitespace) {
        const auto cps = utf8_decode(s);
        std::size_t i = 0;
        while (true) {
            while (i < cps.size() && is_py_space(cps[i])) ++i;
            if (i >= cps.size()) break;
            if (maxsplit >= 0 && static_cast<std::int64_t>(parts.size()) >= maxsplit) {
                std::size_t e = cps.size();
                while (e > i && is_py_space(cps[e - 1])) --e;
                parts.push_back(utf8_encode(cps, i, e));
                break;
            }
            std::size_t j = i;
            while (j < cps.size() && !is_py_space(cps[j])) ++j;
            parts.push_back(utf8_encode(cps, i, j));
            i = j;
        }
        return parts;
    }
    std::size_t pos = 0;
    while (maxsplit < 0 || static_cast<std::int64_t>(parts.size()) < maxsplit) {
        const std::size_t hit = s.find(sep, pos);
        if (hit == std::string::npos) break;
        parts.push_back(s.substr(pos, hit - pos));
        pos = hit + sep.size();
    }
    parts.push_back(s.substr(pos));
    return parts;
}

std::vector<std::string> py_splitlines(const std::string& s) {
    std::vector<std::string> lines;
    const auto cps = utf8_decode(s);
    std::size_t start = 0;
    for (std::size_t i = 0; i < cps.size(); ++i) {
        const char32_t c = cps[i];
        const bool brk = c == '\n' || c == '\r' || c == 0x0B || c == 0x0C || c == 0x1C || c == 0x1D ||
                         c == 0x1E || c == 0x85 || c == 0x2028 || c == 0x2029;
        if (!brk) continue;
        lines.push_back(utf8_encode(cps, start, i));
        if (c == '\r' && i + 1 < cps.size() && cps[i + 1] == '\n') ++i;
        start = i + 1;
    }
    if (start < cps.size()) lines.push_back(utf8_encode(cps, start, cps.size()));
    return lines;
}

std::string py_center(const std::string& s, std::int64_t width, const std::string& fill) {
    const auto len = static_cast<std::int64_t>(utf8_length(s));
    if (width <= len) return s;
    const std::int64_t pad = width - len;
    const std::int64_t left = pad / 2 + (pad & width & 1);  // CPython's rule for odd padding
    std::string out;
    for (std::int64_t i = 0; i < left; ++i) out += fill;
    out += s;
    for (std::int64_t i = 0; i < pad - left; ++i) out += fill;
    return out;
}

}  // namespace engine::jinja
