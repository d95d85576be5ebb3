#include <gtest/gtest.h>

#include <atomic>
#include <numeric>
#include <vector>

#include "engine/thread_pool.h"

TEST(ThreadPool, EveryThreadRunsOncePerCall) {
    for (int n : {1, 2, 3, 4}) {
        engine::ThreadPool pool(n);
        std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
        for (int round = 0; round < 1000; ++round)
            pool.run([&](int ith, int nth) {
                ASSERT_EQ(nth, n);
                hits[static_cast<size_t>(ith)].fetch_add(1);
            });
        for (auto& h : hits) EXPECT_EQ(h.load(), 1000);
    }
}

TEST(ThreadPool, ParallelForCoversRangeExactlyOnce) {
    engine::ThreadPool pool(3);
    for (int64_t n : {0, 1, 2, 5, 1000, 1001}) {
        std::vector<int> seen(static_cast<size_t>(n), 0);
        pool.parallel_for(n, [&](int64_t begin, int64_t end) {
            for (int64_t i = begin; i < end; ++i) seen[static_cast<size_t>(i)] += 1;
        });
        EXPECT_EQ(std::accumulate(seen.begin(), seen.end(), 0), n);
        for (int s : seen) EXPECT_EQ(s, 1);
    }
}

TEST(ThreadPool, ResultsAreVisibleToCallerAfterRun) {
    engine::ThreadPool pool(2);
    std::vector<double> out(2);
    for (int round = 0; round < 2000; ++round) {
        pool.run([&](int ith, int) { out[static_cast<size_t>(ith)] = round + ith; });
        ASSERT_EQ(out[0], round);
        ASSERT_EQ(out[1], round + 1);
    }
}

// More shares than cores: workers are often descheduled when a call starts, so
// the caller claims their shares; every share must still run exactly once per
// call, on some thread, and never overlap the next call.
TEST(ThreadPool, EveryShareRunsExactlyOnceWhenWorkersAreLate) {
    engine::ThreadPool pool(6);
    std::vector<int> hits(6, 0);
    for (int round = 1; round <= 3000; ++round) {
        pool.run([&](int ith, int) { hits[static_cast<size_t>(ith)] += 1; });
        for (int i = 0; i < 6; ++i) ASSERT_EQ(hits[static_cast<size_t>(i)], round) << "share " << i;
    }
}
