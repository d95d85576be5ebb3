#include "importers/importer_common.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>

namespace crucible::importers {

namespace {

// Length of the well-formed UTF-8 sequence at text[i], or 0 when ill-formed
// (overlongs, surrogates and code points above U+10FFFF are ill-formed).
size_t utf8SequenceLength(std::string_view text, size_t i) {
    const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned char c = byte(i);
    if (c < 0x80) return 1;
    size_t n = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else {
        return 0;
    }
    if (i + n > text.size()) return 0;
    if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
    for (size_t k = 2; k < n; ++k) {
        if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
    }
    return n;
}

}  // namespace

bool isValidUtf8(std::string_view text) {
    for (size_t i = 0; i < text.size();) {
        // Fast path over ASCII runs, which is almost all real data.
        if (static_cast<unsigned char>(text[i]) < 0x80) {
            ++i;
            continue;
        }
        const size_t n = utf8SequenceLength(text, i);
        if (n == 0) return false;
        i += n;
    }
    return true;
}

std::string sanitizeUtf8(std::string_view text) {
    std::string out;
    out.reserve(text.size() + 16);
    for (size_t i = 0; i < text.size();) {
        const size_t n = utf8SequenceLength(text, i);
        if (n == 0) {
            out += "\xEF\xBF\xBD";  // U+FFFD for each bad byte
            ++i;
        } else {
            out.append(text.substr(i, n));
            i += n;
        }
    }
    return out;
}

namespace {

// Nesting depth of a JSON text (brackets outside strings). Copying and
// dumping nlohmann values recurse, so hostile depth must stop here.
int maxNesting(std::string_view text) {
    int depth = 0, deepest = 0;
    bool inString = false;
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (inString) {
            if (c == '\\') {
                ++i;
            } else if (c == '"') {
                inString = false;
            }
        } else if (c == '"') {
            inString = true;
        } else if (c == '[' || c == '{') {
            deepest = std::max(deepest, ++depth);
        } else if (c == ']' || c == '}') {
            --depth;
        }
    }
    return deepest;
}

constexpr int kMaxJsonDepth = 256;

}  // namespace

std::optional<Json> parseJson(std::string_view text, std::string& error) {
    if (maxNesting(text) > kMaxJsonDepth) {
        error = "record nests deeper than " + std::to_string(kMaxJsonDepth) + " levels";
        return std::nullopt;
    }
    std::string cleaned;
    if (!isValidUtf8(text)) {
        cleaned = sanitizeUtf8(text);
        text = cleaned;
    }
    Json value = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
    if (value.is_discarded()) {
        // Re-parse with exceptions only on failure, to get the position and reason.
        try {
            const Json again = Json::parse(text.begin(), text.end());
            (void)again;
            error = "line is not JSON";
        } catch (const Json::parse_error& e) {
            std::string what = e.what();
            // Drop nlohmann's "[json.exception.parse_error.101] " prefix.
            const auto pos = what.find("] ");
            error = "line is not JSON: " + (pos == std::string::npos ? what : what.substr(pos + 2));
        }
        return std::nullopt;
    }
    return value;
}

std::string dumpJson(const Json& value) { return value.dump(-1, ' ', false, Json::error_handler_t::replace); }

std::string describeKeys(const Json& value) {
    if (!value.is_object()) return std::string("a JSON ") + value.type_name() + ", not an object";
    if (value.empty()) return "no keys";
    std::string keys;
    int count = 0;
    for (auto it = value.begin(); it != value.end(); ++it) {
        if (count == 12) {
            keys += ", ...";
            break;
        }
        if (count++ > 0) keys += ", ";
        keys += it.key();
    }
    return "keys: " + keys;
}

std::string normalizeRole(std::string_view role) {
    std::string r(role);
    std::transform(r.begin(), r.end(), r.begin(), [](unsigned char c) { return std::tolower(c); });
    if (r == "developer" || r == "system") return "system";
    if (r == "human" || r == "user") return "user";
    if (r == "gpt" || r == "assistant" || r == "model" || r == "ai" || r == "bot" || r == "chatgpt")
        return "assistant";
    if (r == "tool" || r == "function" || r == "observation" || r == "ipython") return "tool";
    return r;
}

std::string textOf(const Json& value) {
    if (value.is_string()) return value.get<std::string>();
    if (value.is_null()) return {};
    return dumpJson(value);
}

namespace {

bool isTextPartType(const std::string& type) {
    return type == "text" || type == "input_text" || type == "output_text" || type == "refusal";
}

}  // namespace

bool decodeContent(const Json& content, const std::string& path, Message& message, Errors& errors) {
    if (content.is_null()) return true;
    if (content.is_string()) {
        message.content = content.get<std::string>();
        return true;
    }
    if (!content.is_array()) {
        errors.push_back(path + " has unsupported type " + content.type_name() +
                         " (expected a string, null or an array of parts)");
        return false;
    }
    for (const Json& item : content) {
        ContentPart part;
        if (item.is_string()) {
            part.text = item.get<std::string>();
        } else if (item.is_object()) {
            part.type = item.contains("type") && item["type"].is_string() ? item["type"].get<std::string>()
                                                                          : std::string("text");
            // OpenAI parts carry "text"; OTel parts carry "content".
            const char* key = item.contains("text") ? "text" : "content";
            if (isTextPartType(part.type) || part.type == "reasoning" || part.type == "thinking") {
                if (item.contains(key)) part.text = textOf(item[key]);
                if (!isTextPartType(part.type)) part.raw = item;
            } else {
                part.raw = item;
            }
        } else {
            part.type = "unknown";
            part.raw = item;
        }
        if (isTextPartType(part.type)) message.content += part.text;
        message.parts.push_back(std::move(part));
    }
    return true;
}

std::vector<ToolCall> decodeToolCalls(const Json& value) {
    std::vector<ToolCall> calls;
    if (!value.is_array()) return calls;
    for (const Json& item : value) {
        if (!item.is_object()) continue;
        ToolCall call;
        if (item.contains("id")) call.id = textOf(item["id"]);
        if (call.id.empty() && item.contains("call_id")) call.id = textOf(item["call_id"]);
        const Json& fn = item.contains("function") && item["function"].is_object() ? item["function"] : item;
        if (fn.contains("name")) call.name = textOf(fn["name"]);
        for (const char* key : {"arguments", "args", "input"}) {
            if (fn.contains(key)) {
                // Strings stay verbatim (they may be invalid JSON); objects are serialised.
                call.arguments = textOf(fn[key]);
                break;
            }
        }
        calls.push_back(std::move(call));
    }
    return calls;
}

bool decodeOpenAiMessage(const Json& value, const std::string& path, Message& message, Errors& errors,
                         Json* extra) {
    if (!value.is_object()) {
        errors.push_back(path + " is " + value.type_name() + ", not an object");
        return false;
    }
    const auto role = value.find("role");
    if (role == value.end() || role->is_null()) {
        errors.push_back(path + ".role missing");
        return false;
    }
    if (!role->is_string()) {
        errors.push_back(path + ".role is " + role->type_name() + ", not a string");
        return false;
    }
    message.role = normalizeRole(role->get<std::string>());
    if (message.role.empty()) {
        errors.push_back(path + ".role is empty");
        return false;
    }
    if (const auto c = value.find("content"); c != value.end()) {
        if (!decodeContent(*c, path + ".content", message, errors)) return false;
    }
    if (const auto tc = value.find("tool_calls"); tc != value.end() && !tc->is_null()) {
        if (!tc->is_array()) {
            errors.push_back(path + ".tool_calls is " + tc->type_name() + ", not an array");
            return false;
        }
        message.toolCalls = decodeToolCalls(*tc);
    }
    if (const auto fc = value.find("function_call"); fc != value.end() && fc->is_object()) {
        auto legacy = decodeToolCalls(Json::array({*fc}));  // legacy single function call
        message.toolCalls.insert(message.toolCalls.end(), legacy.begin(), legacy.end());
    }
    if (const auto id = value.find("tool_call_id"); id != value.end()) message.toolCallId = textOf(*id);
    if (const auto name = value.find("name"); name != value.end()) message.name = textOf(*name);
    if (const auto w = value.find("weight"); w != value.end() && w->is_number())
        message.weight = w->get<double>();
    if (extra) {
        keepUnknownKeys(value,
                        {"role", "content", "tool_calls", "function_call", "tool_call_id", "name", "weight"},
                        *extra);
    }
    return true;
}

bool decodeOpenAiMessages(const Json& value, const std::string& path, std::vector<Message>& messages,
                          Errors& errors, Json& metadata) {
    if (!value.is_array()) {
        errors.push_back(path + " is " + value.type_name() + ", not an array");
        return false;
    }
    bool ok = true;
    for (size_t i = 0; i < value.size(); ++i) {
        Message message;
        Json extra = Json::object();
        const std::string itemPath = path + "[" + std::to_string(i) + "]";
        if (!decodeOpenAiMessage(value[i], itemPath, message, errors, &extra)) {
            ok = false;
            continue;
        }
        if (!extra.empty()) metadata["message_fields"][std::to_string(messages.size())] = std::move(extra);
        messages.push_back(std::move(message));
    }
    return ok;
}

Json normalizeTools(const Json& value) {
    Json tools = Json::array();
    const Json parsed = unwrapJsonString(value);
    if (!parsed.is_array()) return tools;
    for (const Json& tool : parsed) {
        if (!tool.is_object()) continue;
        if (tool.contains("function") && tool["function"].is_object()) {
            tools.push_back(tool);
            continue;
        }
        // Flat {name, description, parameters} (OTel, ShareGPT) -> OpenAI shape.
        Json fn = tool;
        fn.erase("type");
        tools.push_back(Json{{"type", tool.value("type", std::string("function"))}, {"function", fn}});
    }
    return tools;
}

std::optional<int64_t> parseIsoTimeMs(std::string_view s) {
    // YYYY-MM-DD[T ]HH:MM:SS[.fff...][Z|+HH:MM|-HHMM]
    const auto digits = [&](size_t pos, size_t n) -> std::optional<int> {
        if (pos + n > s.size()) return std::nullopt;
        int v = 0;
        for (size_t k = pos; k < pos + n; ++k) {
            if (s[k] < '0' || s[k] > '9') return std::nullopt;
            v = v * 10 + (s[k] - '0');
        }
        return v;
    };
    const auto y = digits(0, 4), mo = digits(5, 2), d = digits(8, 2);
    if (!y || !mo || !d || s.size() < 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
    int h = 0, mi = 0, sec = 0;
    double frac = 0.0;
    size_t pos = 10;
    if (pos < s.size() && (s[pos] == 'T' || s[pos] == ' ')) {
        const auto hh = digits(11, 2), mm = digits(14, 2), ss = digits(17, 2);
        if (!hh || !mm || !ss || s[13] != ':' || s[16] != ':') return std::nullopt;
        h = *hh, mi = *mm, sec = *ss;
        pos = 19;
        if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
            double scale = 0.1;
            for (++pos; pos < s.size() && s[pos] >= '0' && s[pos] <= '9'; ++pos, scale /= 10)
                frac += (s[pos] - '0') * scale;
        }
    }
    int64_t offsetMin = 0;
    if (pos < s.size()) {
        if (s[pos] == 'Z' || s[pos] == 'z') {
            ++pos;
        } else if (s[pos] == '+' || s[pos] == '-') {
            const int sign = s[pos] == '-' ? -1 : 1;
            const auto oh = digits(pos + 1, 2);
            const size_t mpos = pos + 3 < s.size() && s[pos + 3] == ':' ? pos + 4 : pos + 3;
            const auto om = digits(mpos, 2);
            if (!oh) return std::nullopt;
            offsetMin = sign * (*oh * 60 + om.value_or(0));
            pos = om ? mpos + 2 : pos + 3;
        }
        if (pos != s.size()) return std::nullopt;
    }
    using namespace std::chrono;
    const year_month_day ymd{year{*y}, month{static_cast<unsigned>(*mo)}, day{static_cast<unsigned>(*d)}};
    if (!ymd.ok() || h > 23 || mi > 59 || sec > 60) return std::nullopt;
    const int64_t days = sys_days{ymd}.time_since_epoch().count();
    const int64_t secs = days * 86400 + h * 3600 + mi * 60 + sec - offsetMin * 60;
    return secs * 1000 + static_cast<int64_t>(std::floor(frac * 1000.0 + 1e-6));  // truncate to ms
}

std::optional<int64_t> parseTimeMs(const Json& value) {
    if (value.is_string()) {
        const std::string s = value.get<std::string>();
        if (auto t = parseIsoTimeMs(s)) return t;
        if (auto n = intOf(value)) return parseTimeMs(Json(*n));
        return std::nullopt;
    }
    if (!value.is_number()) return std::nullopt;
    const double v = value.get<double>();
    const double a = std::fabs(v);
    if (a >= 1e17) return static_cast<int64_t>(v / 1e6);    // nanoseconds
    if (a >= 1e14) return static_cast<int64_t>(v / 1e3);    // microseconds
    if (a >= 1e11) return static_cast<int64_t>(v);          // milliseconds
    return static_cast<int64_t>(std::llround(v * 1000.0));  // seconds
}

std::optional<int64_t> intOf(const Json& value) {
    if (value.is_number_integer()) return value.get<int64_t>();
    if (value.is_number_float()) return static_cast<int64_t>(value.get<double>());
    if (value.is_string()) {
        const std::string s = value.get<std::string>();
        if (s.empty()) return std::nullopt;
        char* end = nullptr;
        const long long v = std::strtoll(s.c_str(), &end, 10);
        if (end && *end == '\0') return v;
    }
    return std::nullopt;
}

std::optional<double> doubleOf(const Json& value) {
    if (value.is_number()) return value.get<double>();
    if (value.is_string()) {
        const std::string s = value.get<std::string>();
        if (s.empty()) return std::nullopt;
        char* end = nullptr;
        const double v = std::strtod(s.c_str(), &end);
        if (end && *end == '\0') return v;
    }
    return std::nullopt;
}

void keepUnknownKeys(const Json& object, std::initializer_list<std::string_view> known, Json& metadata) {
    if (!object.is_object()) return;
    for (auto it = object.begin(); it != object.end(); ++it) {
        if (std::find(known.begin(), known.end(), it.key()) == known.end()) metadata[it.key()] = it.value();
    }
}

std::optional<Json> parseLenientJson(std::string_view text) {
    Json value = Json::parse(text.begin(), text.end(), nullptr, false);
    if (!value.is_discarded()) return value;
    // Python repr: single-quoted strings, True/False/None. Rewrite into JSON.
    std::string out;
    out.reserve(text.size() + 8);
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '\'' || c == '"') {
            const char quote = c;
            out += '"';
            for (++i; i < text.size() && text[i] != quote; ++i) {
                if (text[i] == '\\' && i + 1 < text.size()) {
                    const char next = text[++i];
                    if (next == '\'') {
                        out += '\'';
                    } else {
                        out += '\\';
                        out += next;
                    }
                } else if (text[i] == '"') {
                    out += "\\\"";
                } else if (text[i] == '\n') {
                    out += "\\n";
                } else {
                    out += text[i];
                }
            }
            out += '"';
        } else if (text.substr(i, 4) == "True") {
            out += "true", i += 3;
        } else if (text.substr(i, 5) == "False") {
            out += "false", i += 4;
        } else if (text.substr(i, 4) == "None") {
            out += "null", i += 3;
        } else {
            out += c;
        }
    }
    value = Json::parse(out, nullptr, false);
    if (value.is_discarded()) return std::nullopt;
    return value;
}

Json unwrapJsonString(const Json& value) {
    if (!value.is_string()) return value;
    const std::string& s = value.get_ref<const std::string&>();
    const auto first = s.find_first_not_of(" \t\r\n");
    if (first == std::string::npos || (s[first] != '[' && s[first] != '{')) return value;
    if (auto parsed = parseLenientJson(s)) return *parsed;
    return value;
}

Trace makeTrace(std::string_view format, std::string_view raw) {
    Trace trace;
    trace.format = std::string(format);
    trace.raw = std::string(raw);
    return trace;
}

const Message* lastAssistant(const std::vector<Message>& messages) {
    if (messages.empty() || messages.back().role != "assistant") return nullptr;
    return &messages.back();
}

}  // namespace crucible::importers
