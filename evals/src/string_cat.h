// String building for messages. GCC 12 at -O3 reports false -Wrestrict errors for
// `"literal" + std::string(...)`; cat() appends instead and reads just as well.
#pragma once

#include <string>
#include <string_view>

namespace evals::detail {

template <class... Parts>
std::string cat(const Parts&... parts) {
    std::string out;
    (out.append(std::string_view(parts)), ...);
    return out;
}

}  // namespace evals::detail
