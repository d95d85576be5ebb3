#include "tokenizer/utf8.h"

namespace engine::utf8 {

size_t sanitize(std::string_view in, bool final, std::string& out) {
    size_t i = 0;
    while (i < in.size()) {
        const auto lead = static_cast<uint8_t>(in[i]);
        if (lead < 0x80) {
            out.push_back(static_cast<char>(lead));
            ++i;
            continue;
        }
        const size_t j = valid_prefix_length(in, i);
        if (j == 0) {  // a byte that cannot start a sequence
            append(out, 0xFFFD);
            ++i;
            continue;
        }
        const size_t n = sequence_length(lead);
        if (j == n) {
            out.append(in.substr(i, n));
            i += n;
        } else if (i + j == in.size() && !final) {
            return i;  // a valid prefix that the next bytes may complete
        } else {
            append(out, 0xFFFD);  // one replacement per maximal subpart (Unicode 3.9, U+FFFD substitution)
            i += j;
        }
    }
    return i;
}

}  // namespace engine::utf8
