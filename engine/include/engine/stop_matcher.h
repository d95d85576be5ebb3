// Stop strings for streamed generation. Text arrives in pieces (one per token);
// the matcher passes on what is certainly not part of a stop string and holds
// back any tail that could still grow into one, so a stop string is never shown
// to the user, even when it spans several pieces.
//
// Matching is on bytes. When several stop strings occur, the one that is
// complete earliest in the stream wins (on a tie, the longer one), which is what
// a token-by-token check would find; the result does not depend on how the text
// is split into pieces.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace engine {

struct StopMatch {
    std::string text;      // safe to emit now; when stopped, the rest of the text before the stop string
    bool stopped = false;  // a stop string is complete; generation should end
    int stop_index = -1;   // which stop string (index into the constructor's list), -1 if none
};

class StopMatcher {
public:
    // Empty stop strings are ignored (they would match before any text).
    explicit StopMatcher(std::vector<std::string> stops);

    // Consumes the next piece of generated text. After a stop, further pieces are ignored.
    StopMatch push(std::string_view piece);

    // End of generation without a stop: returns the held-back text and clears it.
    std::string flush();

    bool stopped() const { return stopped_; }
    const std::vector<std::string>& stops() const { return stops_; }

    // Forgets pending text and the stopped state (same stop strings).
    void reset();

private:
    std::vector<std::string> stops_;
    std::string pending_;  // held back: a suffix of the stream that is a proper prefix of some stop
    bool stopped_ = false;
};

}  // namespace engine
