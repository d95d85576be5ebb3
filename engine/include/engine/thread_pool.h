// A fixed pool of worker threads for data-parallel kernels.
//
// Decode runs hundreds of small parallel regions per token, so dispatch must
// cost microseconds: workers spin briefly on an atomic generation counter
// (yielding the core after a few microseconds) and only then sleep
// (std::atomic::wait). run() is called from one thread at a time (the owner);
// the caller takes part as thread 0, so a pool of size 1 runs everything
// inline. No heap allocation per call.
//
// Each share ith of a call is claimed exactly once, by its worker or, when that
// worker has not woken up by the time the caller finished its own share, by the
// caller itself: a worker descheduled by another process then costs its share
// of work, not a whole scheduler time slice. Shares must therefore depend only
// on (ith, nth), never on which OS thread runs them.
#pragma once

#include <atomic>
#include <cstdint>
#include <thread>
#include <type_traits>
#include <vector>

namespace engine {

class ThreadPool {
public:
    // n_threads counts the caller; values < 1 mean "all hardware threads".
    explicit ThreadPool(int n_threads);
    ~ThreadPool();
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    int size() const { return n_threads_; }

    // Calls fn(ith, nth) once on every thread, ith in [0, nth); returns when all are done.
    template <class F>
    void run(F&& fn) {
        using Fn = std::remove_reference_t<F>;
        run_impl([](void* ctx, int ith, int nth) { (*static_cast<Fn*>(ctx))(ith, nth); },
                 const_cast<void*>(static_cast<const void*>(&fn)));
    }

    // Splits [0, n) into one contiguous range per thread: fn(begin, end).
    template <class F>
    void parallel_for(int64_t n, F&& fn) {
        if (n <= 0) return;
        run([&](int ith, int nth) {
            int64_t begin = n * ith / nth;
            int64_t end = n * (ith + 1) / nth;
            if (begin < end) fn(begin, end);
        });
    }

private:
    using Call = void (*)(void* ctx, int ith, int nth);
    void run_impl(Call call, void* ctx);
    void worker_loop(int ith);

    int n_threads_;
    std::vector<std::thread> workers_;
    Call call_ = nullptr;
    void* ctx_ = nullptr;
    bool claim(int ith, uint32_t gen);

    std::atomic<uint32_t> generation_{0};
    std::atomic<int> pending_{0};  // shares 1..n-1 not finished yet
    // Per share: the last generation it was claimed for (a share is claimed for
    // generation g by moving its slot from g - 1 to g). One cache line each.
    struct alignas(64) Slot {
        std::atomic<uint32_t> claimed{0};
    };
    std::vector<Slot> slots_;
    std::atomic<bool> stop_{false};
};

// Number of threads to use by default: the physical cores we may run on.
int default_thread_count();

}  // namespace engine
