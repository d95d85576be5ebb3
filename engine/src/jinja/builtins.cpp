// Global functions visible to every template: Jinja's range/dict/namespace
// and the two transformers adds for chat templates.
#include <ctime>

#include "jinja/interp.h"

namespace engine::jinja {

void install_globals(Evaluator& ev, Scope& scope) {
    const Options& opt = ev.options();
    const std::int64_t max_range = opt.limits.max_range;
    scope.assign("range", Value::function("range", [max_range](const CallArgs& a) -> Result<Value> {
                     if (a.positional.empty() || a.positional.size() > 3 || !a.named.empty())
                         return make_error("range expected 1 to 3 integer arguments");
                     for (const auto& v : a.positional)
                         if (!v.is_int() && !v.is_bool())
                             return make_error(std::string("'") + v.type_name() +
                                               "' object cannot be interpreted as an integer");
                     std::int64_t start = 0, stop = 0, step = 1;
                     if (a.positional.size() == 1) {
                         stop = a.positional[0].as_int();
                     } else {
                         start = a.positional[0].as_int();
                         stop = a.positional[1].as_int();
                         if (a.positional.size() == 3) step = a.positional[2].as_int();
                     }
                     if (step == 0) return make_error("range() arg 3 must not be zero");
                     std::int64_t count = 0;
                     if (step > 0 && stop > start) count = (stop - start + step - 1) / step;
                     if (step < 0 && stop < start) count = (start - stop - step - 1) / -step;
                     if (count > max_range)
                         return make_error("range too big: " + std::to_string(count) +
                                           " items exceed the limit of " + std::to_string(max_range));
                     std::vector<Value> items;
                     items.reserve(static_cast<std::size_t>(count));
                     for (std::int64_t i = 0; i < count; ++i) items.emplace_back(start + i * step);
                     return Value::list(std::move(items));
                 }));
    auto build_mapping = [](const CallArgs& a, Value out, bool check_names) -> Result<Value> {
        if (a.positional.size() > 1) return make_error("expected at most 1 positional argument");
        if (a.positional.size() == 1) {
            const Value& src = a.positional[0];
            if (src.is_dict()) {
                for (const auto& [k, v] : src.dict_data().items) out.set(k, v);
            } else if (src.is_list()) {
                for (const auto& pair : src.items()) {
                    if (!pair.is_list() || pair.items().size() != 2)
                        return make_error("dictionary update sequence element has the wrong length");
                    out.set(pair.items()[0], pair.items()[1]);
                }
            } else {
                return make_error(std::string("'") + src.type_name() + "' object is not iterable");
            }
        }
        for (const auto& [k, v] : a.named) out.set(k, v);
        if (check_names) {
            for (const auto& [k, v] : out.dict_data().items)
                if (k.is_string() && k.as_string().rfind('_', 0) == 0)
                    return make_error("cannot store underscore-prefixed attribute '" + k.as_string() +
                                      "' on a namespace");
        }
        return out;
    };
    scope.assign("namespace", Value::function("namespace", [build_mapping](const CallArgs& a) {
                     return build_mapping(a, Value::namespace_object(), true);
                 }));
    scope.assign("dict", Value::function("dict", [build_mapping](const CallArgs& a) {
                     return build_mapping(a, Value::dict(), false);
                 }));
    scope.assign("raise_exception",
                 Value::function("raise_exception", [](const CallArgs& a) -> Result<Value> {
                     const std::string msg = a.positional.empty() ? std::string() : a.positional[0].str();
                     return make_error(std::string(kRaisePrefix) + msg);
                 }));
    auto now = opt.now;
    scope.assign("strftime_now", Value::function("strftime_now", [now](const CallArgs& a) -> Result<Value> {
                     if (a.positional.size() != 1 || !a.positional[0].is_string())
                         return make_error("strftime_now expects one format string");
                     const std::time_t t = now ? now() : std::time(nullptr);
                     std::tm tm{};
                     localtime_r(&t, &tm);
                     char buf[512];
                     const std::size_t n =
                         std::strftime(buf, sizeof(buf), a.positional[0].as_string().c_str(), &tm);
                     return Value(std::string(buf, n));
                 }));
}

}  // namespace engine::jinja
