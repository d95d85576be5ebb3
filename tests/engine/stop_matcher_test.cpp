#include "engine/stop_matcher.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

using engine::StopMatch;
using engine::StopMatcher;

namespace {

struct Outcome {
    std::string emitted;  // everything the matcher released, flush included when not stopped
    bool stopped = false;
    int stop_index = -1;
};

Outcome feed(StopMatcher& m, const std::vector<std::string>& pieces) {
    Outcome out;
    for (const auto& piece : pieces) {
        StopMatch r = m.push(piece);
        out.emitted += r.text;
        if (r.stopped) {
            EXPECT_FALSE(out.stopped) << "stopped twice";
            out.stopped = true;
            out.stop_index = r.stop_index;
        }
    }
    if (!out.stopped) out.emitted += m.flush();
    return out;
}

}  // namespace

TEST(StopMatcher, NoStopsPassesEverythingThrough) {
    StopMatcher m({});
    EXPECT_EQ(m.push("hello").text, "hello");
    EXPECT_EQ(m.push("").text, "");
    EXPECT_EQ(m.flush(), "");
}

TEST(StopMatcher, StopInsideOnePiece) {
    StopMatcher m({"</s>"});
    StopMatch r = m.push("abc</s>def");
    EXPECT_TRUE(r.stopped);
    EXPECT_EQ(r.text, "abc");
    EXPECT_EQ(r.stop_index, 0);
    EXPECT_TRUE(m.stopped());
    EXPECT_FALSE(m.push("more").stopped);  // ignored after the stop
    EXPECT_EQ(m.push("more").text, "");
}

TEST(StopMatcher, HoldsBackPossibleStartAcrossPieces) {
    StopMatcher m({"<|end|>"});
    StopMatch r = m.push("Hi <|");
    EXPECT_EQ(r.text, "Hi ");
    EXPECT_FALSE(r.stopped);
    r = m.push("en");
    EXPECT_EQ(r.text, "");
    r = m.push("d|> tail");
    EXPECT_TRUE(r.stopped);
    EXPECT_EQ(r.text, "");
}

TEST(StopMatcher, ReleasesHeldTextWhenItDiverges) {
    StopMatcher m({"<|end|>"});
    EXPECT_EQ(m.push("a <|e").text, "a ");
    StopMatch r = m.push("xtra");
    EXPECT_FALSE(r.stopped);
    EXPECT_EQ(r.text, "<|extra");
    // A held prefix that diverges but contains a new possible start keeps only that.
    EXPECT_EQ(m.push("<|en<").text, "<|en");
    EXPECT_EQ(m.push("|end|").text, "");
    EXPECT_TRUE(m.push(">").stopped);
}

TEST(StopMatcher, FlushReturnsHeldTextAtEnd) {
    StopMatcher m({"STOP"});
    EXPECT_EQ(m.push("the end ST").text, "the end ");
    EXPECT_EQ(m.flush(), "ST");
    EXPECT_EQ(m.flush(), "");
}

TEST(StopMatcher, OverlappingSelfPrefixStop) {
    // "aab" in "aaab": the first 'a' is safe only once the third arrives.
    StopMatcher m({"aab"});
    EXPECT_EQ(m.push("a").text, "");
    EXPECT_EQ(m.push("a").text, "");
    EXPECT_EQ(m.push("a").text, "a");
    StopMatch r = m.push("b");
    EXPECT_TRUE(r.stopped);
    EXPECT_EQ(r.text, "");
}

TEST(StopMatcher, EarliestCompletedStopWins) {
    {
        // "bc" completes before "abcd" would: streaming token by token would stop there.
        StopMatcher m({"abcd", "bc"});
        auto out = feed(m, {"xabcdy"});
        EXPECT_TRUE(out.stopped);
        EXPECT_EQ(out.stop_index, 1);
        EXPECT_EQ(out.emitted, "xa");
    }
    {
        // Same end: the longer stop (earlier start) wins.
        StopMatcher m({"c", "abc"});
        auto out = feed(m, {"xxab", "cz"});
        EXPECT_EQ(out.stop_index, 1);
        EXPECT_EQ(out.emitted, "xx");
    }
    {
        // A stop that is a prefix of another completes first.
        StopMatcher m({"User:", "User"});
        auto out = feed(m, {"ok\nUs", "er:"});
        EXPECT_EQ(out.stop_index, 1);
        EXPECT_EQ(out.emitted, "ok\n");
    }
}

TEST(StopMatcher, EmptyStopStringsAreIgnored) {
    StopMatcher m({"", "END"});
    auto out = feed(m, {"abc", "", "dEN", "Dx"});
    EXPECT_TRUE(out.stopped);
    EXPECT_EQ(out.stop_index, 1);
    EXPECT_EQ(out.emitted, "abcd");
}

TEST(StopMatcher, MultiByteUtf8Stops) {
    StopMatcher m({"\xe3\x80\x82\xe3\x80\x82"});  // two ideographic full stops
    auto out = feed(m, {"\xe4\xbd\xa0\xe3\x80", "\x82", "\xe3", "\x80\x82!"});
    EXPECT_TRUE(out.stopped);
    EXPECT_EQ(out.emitted, "\xe4\xbd\xa0");
}

TEST(StopMatcher, ResetClearsStateButKeepsStops) {
    StopMatcher m({"##"});
    EXPECT_TRUE(m.push("a##").stopped);
    m.reset();
    EXPECT_FALSE(m.stopped());
    EXPECT_EQ(m.push("b#").text, "b");
    m.reset();
    EXPECT_EQ(m.flush(), "");
    EXPECT_EQ(m.stops().size(), 1u);
}

TEST(StopMatcher, ResultIndependentOfHowTextIsSplit) {
    // Random texts over a small alphabet and random splits must give the same
    // outcome as a direct search on the whole string (earliest end, then longest).
    const std::vector<std::string> stops = {"abab", "bb", "cab", "aaa"};
    std::mt19937 gen(12345);
    for (int trial = 0; trial < 500; ++trial) {
        std::string text;
        const int len = 1 + static_cast<int>(gen() % 30);
        for (int i = 0; i < len; ++i) text += "abc"[gen() % 3];

        size_t best_end = std::string::npos, best_start = 0;
        int best = -1;
        for (size_t s = 0; s < stops.size(); ++s) {
            for (size_t pos = 0; pos + stops[s].size() <= text.size(); ++pos) {
                if (text.compare(pos, stops[s].size(), stops[s]) != 0) continue;
                const size_t end = pos + stops[s].size();
                if (end < best_end || (end == best_end && pos < best_start)) {
                    best_end = end;
                    best_start = pos;
                    best = static_cast<int>(s);
                }
                break;
            }
        }

        std::vector<std::string> pieces;
        for (size_t i = 0; i < text.size();) {
            const size_t n = std::min(text.size() - i, size_t{gen() % 5});  // empty pieces too
            pieces.push_back(text.substr(i, n));
            i += n;
        }
        StopMatcher m(stops);
        auto out = feed(m, pieces);
        SCOPED_TRACE(text);
        EXPECT_EQ(out.stopped, best >= 0);
        EXPECT_EQ(out.stop_index, best);
        EXPECT_EQ(out.emitted, best >= 0 ? text.substr(0, best_start) : text);
    }
}
