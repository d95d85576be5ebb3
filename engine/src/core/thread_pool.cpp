#include "engine/thread_pool.h"

#include <algorithm>
#include <chrono>

#if defined(__unix__)
#include <sched.h>
#define ENGINE_YIELD() sched_yield()
#else
#define ENGINE_YIELD() std::this_thread::yield()
#endif

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define ENGINE_CPU_RELAX() _mm_pause()
#elif defined(__aarch64__)
#define ENGINE_CPU_RELAX() asm volatile("yield")
#else
#define ENGINE_CPU_RELAX() ((void)0)
#endif

namespace engine {
namespace {

// Wait in three stages: pure spinning for a few microseconds (the gap between
// consecutive kernels of one token), then spinning with sched_yield up to about
// 50 µs so that a thread sharing our core with another process (or with one of
// our own threads) gets to run instead of stalling us for a time slice, and
// only then sleep. Bounded by time, not iterations: `pause` costs ~10 cycles
// on some x86 cores and ~140 on others.
constexpr auto kPureSpinTime = std::chrono::microseconds(4);
constexpr auto kSpinTime = std::chrono::microseconds(50);

template <class T, class Pred>
void spin_then_wait(std::atomic<T>& value, T seen, Pred done) {
    const auto start = std::chrono::steady_clock::now();
    for (;;) {
        for (int i = 0; i < 32; ++i) {
            if (done()) return;
            ENGINE_CPU_RELAX();
        }
        const auto spent = std::chrono::steady_clock::now() - start;
        if (spent > kSpinTime) break;
        if (spent > kPureSpinTime) ENGINE_YIELD();
    }
    while (!done()) value.wait(seen, std::memory_order_acquire), seen = value.load(std::memory_order_acquire);
}

}  // namespace

int default_thread_count() {
    unsigned n = std::thread::hardware_concurrency();
    return n == 0 ? 1 : static_cast<int>(n);
}

ThreadPool::ThreadPool(int n_threads)
    : n_threads_(n_threads < 1 ? default_thread_count() : n_threads),
      slots_(static_cast<size_t>(n_threads_)) {
    workers_.reserve(static_cast<size_t>(n_threads_ - 1));
    for (int i = 1; i < n_threads_; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
}

ThreadPool::~ThreadPool() {
    stop_.store(true, std::memory_order_relaxed);
    generation_.fetch_add(1, std::memory_order_release);
    generation_.notify_all();
    for (auto& t : workers_) t.join();
}

bool ThreadPool::claim(int ith, uint32_t gen) {
    uint32_t expected = gen - 1;
    return slots_[static_cast<size_t>(ith)].claimed.compare_exchange_strong(
        expected, gen, std::memory_order_acquire, std::memory_order_relaxed);
}

void ThreadPool::run_impl(Call call, void* ctx) {
    if (n_threads_ == 1) {
        call(ctx, 0, 1);
        return;
    }
    call_ = call;
    ctx_ = ctx;
    pending_.store(n_threads_ - 1, std::memory_order_relaxed);
    const uint32_t gen = generation_.fetch_add(1, std::memory_order_release) + 1;
    generation_.notify_all();
    call(ctx, 0, n_threads_);
    // Shares whose worker has not started yet: run them here rather than wait
    // for a thread the OS may not schedule for milliseconds.
    for (int i = 1; i < n_threads_; ++i) {
        if (!claim(i, gen)) continue;
        call(ctx, i, n_threads_);
        pending_.fetch_sub(1, std::memory_order_acq_rel);
    }
    int left = pending_.load(std::memory_order_acquire);
    spin_then_wait(pending_, left, [&] { return pending_.load(std::memory_order_acquire) == 0; });
}

void ThreadPool::worker_loop(int ith) {
    // Start from generation 0, not from a fresh load: a run() may already have
    // begun before this thread was scheduled, and it must not be missed.
    uint32_t seen = 0;
    for (;;) {
        spin_then_wait(generation_, seen,
                       [&] { return generation_.load(std::memory_order_acquire) != seen; });
        seen = generation_.load(std::memory_order_acquire);
        if (stop_.load(std::memory_order_relaxed)) return;
        // A failed claim means the caller ran this share (or we are a whole
        // generation late): call_ and ctx_ may already belong to a later call.
        if (!claim(ith, seen)) continue;
        call_(ctx_, ith, n_threads_);
        if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) pending_.notify_one();
    }
}

}  // namespace engine
