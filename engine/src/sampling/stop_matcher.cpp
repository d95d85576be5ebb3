#include "engine/stop_matcher.h"

#include <algorithm>

namespace engine {

StopMatcher::StopMatcher(std::vector<std::string> stops) : stops_(std::move(stops)) {}

void StopMatcher::reset() {
    pending_.clear();
    stopped_ = false;
}

std::string StopMatcher::flush() {
    std::string out;
    out.swap(pending_);
    return out;
}

StopMatch StopMatcher::push(std::string_view piece) {
    StopMatch result;
    if (stopped_) return result;
    pending_.append(piece);

    // Earliest end wins (then earliest start, i.e. the longer stop). pending_ held
    // no complete stop before this piece, so any match ends inside the new text;
    // for each stop its first occurrence is the one that ends earliest.
    size_t best_end = std::string::npos;
    size_t best_start = 0;
    int best_index = -1;
    for (size_t s = 0; s < stops_.size(); ++s) {
        const std::string& stop = stops_[s];
        if (stop.empty()) continue;
        const size_t pos = pending_.find(stop);
        if (pos == std::string::npos) continue;
        const size_t end = pos + stop.size();
        if (end < best_end || (end == best_end && pos < best_start)) {
            best_end = end;
            best_start = pos;
            best_index = static_cast<int>(s);
        }
    }
    if (best_index >= 0) {
        result.text = pending_.substr(0, best_start);
        result.stopped = true;
        result.stop_index = best_index;
        stopped_ = true;
        pending_.clear();
        return result;
    }

    // Hold back the longest suffix that is a proper prefix of some stop string.
    size_t hold = 0;
    for (const std::string& stop : stops_) {
        const size_t max_len = std::min(stop.size() - (stop.empty() ? 0 : 1), pending_.size());
        for (size_t len = max_len; len > hold; --len) {
            if (std::string_view(pending_).substr(pending_.size() - len) ==
                std::string_view(stop).substr(0, len)) {
                hold = len;
                break;
            }
        }
    }
    result.text = pending_.substr(0, pending_.size() - hold);
    pending_.erase(0, pending_.size() - hold);
    return result;
}

}  // namespace engine
