// bench_backward: times the training kernels on SmolLM2-135M / gemma-3-270m shapes.
//   bench_backward [--threads N] [--tokens N] [--min-ms N] [--only matmul|outer|attention]
//                  [--path scalar|avx2|avx_vnni|avx512]
// Prints wall and process-CPU microseconds per call and GFLOP/s from wall time
// (on a shared machine the CPU time of a 1-thread run is the better measure of
// the kernel itself): 2*k*rows*n_tokens for
// matmul_backward_input and matmul_accumulate_outer; for attention_backward,
// 2*head_dim*n_head*(visible query-key pairs) per product, 7 products counted
// (two score recomputations, dP twice, dQ, dK, dV).
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "engine/matmul.h"
#include "engine/quant.h"
#include "ops/ops_backward.h"

namespace {

using Clock = std::chrono::steady_clock;

std::vector<float> random_vector(size_t n, uint32_t seed, float scale) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.0f, scale);
    std::vector<float> v(n);
    for (float& x : v) x = normal(rng);
    return v;
}

double process_cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

struct Timing {
    double wall = 0.0, cpu = 0.0;  // seconds per call
};

// Time per call of fn, repeated for at least min_seconds after one warm-up call.
template <class F>
Timing time_call(F&& fn, double min_seconds) {
    fn();
    int calls = 0;
    const auto t0 = Clock::now();
    const double c0 = process_cpu_seconds();
    double elapsed = 0.0;
    do {
        fn();
        ++calls;
        elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
    } while (elapsed < min_seconds);
    return {elapsed / calls, (process_cpu_seconds() - c0) / calls};
}

}  // namespace

int main(int argc, char** argv) {
    int n_threads = 1;
    int64_t n_tokens = 256;
    double min_seconds = 0.2;
    std::string only;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--threads")) n_threads = std::atoi(argv[i + 1]);
        if (!std::strcmp(argv[i], "--tokens")) n_tokens = std::atoll(argv[i + 1]);
        if (!std::strcmp(argv[i], "--min-ms")) min_seconds = std::atof(argv[i + 1]) / 1000.0;
        if (!std::strcmp(argv[i], "--only")) only = argv[i + 1];
        if (!std::strcmp(argv[i], "--path")) {
            bool ok = false;
            for (auto p : {engine::CpuPath::scalar, engine::CpuPath::avx2, engine::CpuPath::avx_vnni,
                           engine::CpuPath::avx512})
                if (!std::strcmp(argv[i + 1], engine::cpu_path_name(p))) ok = engine::cpu_path_force(p);
            if (!ok) {
                std::fprintf(stderr, "path %s not available\n", argv[i + 1]);
                return 1;
            }
        }
    }
    engine::ThreadPool pool(n_threads);
    std::printf("path %s, %d threads, %lld tokens\n", engine::cpu_path_name(engine::cpu_path_active()),
                pool.size(), static_cast<long long>(n_tokens));

    struct MatShape {
        const char* name;
        int64_t k, rows;
        engine::DType type;
    };
    const MatShape shapes[] = {
        {"smol ffn_up 576x1536", 576, 1536, engine::DType::Q4_1},
        {"smol ffn_up 576x1536", 576, 1536, engine::DType::Q8_0},
        {"smol ffn_up 576x1536", 576, 1536, engine::DType::Q5_0},
        {"smol ffn_up 576x1536", 576, 1536, engine::DType::F16},
        {"smol ffn_up 576x1536", 576, 1536, engine::DType::BF16},
        {"smol ffn_up 576x1536", 576, 1536, engine::DType::F32},
        {"smol ffn_down 1536x576", 1536, 576, engine::DType::Q4_1},
        {"smol ffn_down 1536x576", 1536, 576, engine::DType::Q4_K},
        {"smol ffn_down 1536x576", 1536, 576, engine::DType::Q6_K},
        {"smol attn_q 576x576", 576, 576, engine::DType::Q4_1},
        {"gemma ffn_up 640x2048", 640, 2048, engine::DType::Q8_0},
        {"lora A 576x16", 576, 16, engine::DType::F32},
        {"lora B 16x1536", 16, 1536, engine::DType::F32},
    };
    std::printf("\nmatmul_backward_input (dx[t][c] += sum_r dy[t][r] W[r][c])\n");
    for (const MatShape& s : shapes) {
        if (!only.empty() && only != "matmul") break;
        const auto src = random_vector(size_t(s.k * s.rows), 1, 0.05f);
        std::vector<uint8_t> bytes(engine::dtype_row_bytes(s.type, s.k) * size_t(s.rows));
        for (int64_t r = 0; r < s.rows; ++r)
            if (!engine::quantize_row(s.type, src.data() + r * s.k,
                                      bytes.data() + size_t(r) * engine::dtype_row_bytes(s.type, s.k), s.k)
                     .ok())
                return 1;
        engine::TensorView w;
        w.type = s.type;
        w.n_dims = 2;
        w.ne = {s.k, s.rows, 1, 1};
        w.data = bytes.data();
        const auto dy = random_vector(size_t(n_tokens * s.rows), 2, 1.0f);
        std::vector<float> dx(size_t(n_tokens * s.k), 0.0f);
        const Timing tm = time_call(
            [&] { engine::matmul_backward_input(w, dy.data(), n_tokens, dx.data(), pool); }, min_seconds);
        const double flops = 2.0 * double(s.k) * double(s.rows) * double(n_tokens);
        std::printf("  %-26s %-5s %9.1f us wall %9.1f us cpu %7.1f GFLOP/s\n", s.name,
                    std::string(engine::dtype_name(s.type)).c_str(), tm.wall * 1e6, tm.cpu * 1e6,
                    flops / tm.wall * 1e-9);
    }

    struct OuterShape {
        const char* name;
        int64_t a_cols, b_cols;
    };
    const OuterShape outers[] = {
        {"lora dA 16x576", 16, 576},
        {"lora dB 1536x16", 1536, 16},
        {"lora dA 64x1536", 64, 1536},
        {"lora dB 576x64", 576, 64},
    };
    std::printf("\nmatmul_accumulate_outer (dw[i][j] += sum_t a[t][i] b[t][j])\n");
    for (const OuterShape& s : outers) {
        if (!only.empty() && only != "outer") break;
        const auto a = random_vector(size_t(n_tokens * s.a_cols), 3, 1.0f);
        const auto b = random_vector(size_t(n_tokens * s.b_cols), 4, 1.0f);
        std::vector<float> dw(size_t(s.a_cols * s.b_cols), 0.0f);
        const Timing tm = time_call(
            [&] {
                engine::matmul_accumulate_outer(a.data(), s.a_cols, b.data(), s.b_cols, n_tokens, dw.data(),
                                                pool);
            },
            min_seconds);
        const double flops = 2.0 * double(s.a_cols) * double(s.b_cols) * double(n_tokens);
        std::printf("  %-26s       %9.1f us wall %9.1f us cpu %7.1f GFLOP/s\n", s.name, tm.wall * 1e6,
                    tm.cpu * 1e6, flops / tm.wall * 1e-9);
    }

    struct AttnShape {
        const char* name;
        int64_t n_head, n_head_kv, head_dim, window;
    };
    const AttnShape attns[] = {
        {"smol 9/3 x64", 9, 3, 64, 0},
        {"gemma 4/1 x256", 4, 1, 256, 0},
        {"gemma 4/1 x256 win 512", 4, 1, 256, 512},
    };
    std::printf("\nattention_backward\n");
    for (const AttnShape& a : attns) {
        if (!only.empty() && only != "attention") break;
        std::vector<int64_t> lengths = {n_tokens};
        if (n_tokens != 1024) lengths.push_back(1024);
        for (int64_t n : lengths) {
            engine::ops::AttentionShape sh;
            sh.n_tokens = n;
            sh.n_head = a.n_head;
            sh.n_head_kv = a.n_head_kv;
            sh.head_dim = a.head_dim;
            sh.capacity = n;
            sh.window = a.window;
            sh.scale = 1.0f / std::sqrt(float(a.head_dim));
            const auto q = random_vector(size_t(n * a.n_head * a.head_dim), 5, 1.0f);
            const auto k = random_vector(size_t(n * a.n_head_kv * a.head_dim), 6, 1.0f);
            const auto v = random_vector(k.size(), 7, 1.0f);
            const auto dout = random_vector(q.size(), 8, 1.0f);
            std::vector<float> dq(q.size()), dk(k.size()), dv(v.size());
            std::vector<float> scratch(
                size_t(engine::ops::attention_backward_scratch_floats(sh, pool.size())));
            const Timing tm = time_call(
                [&] {
                    engine::ops::attention_backward(sh, q.data(), k.data(), v.data(), dout.data(), dq.data(),
                                                    dk.data(), dv.data(), scratch.data(), pool);
                },
                min_seconds);
            double pairs = 0.0;
            for (int64_t t = 0; t < n; ++t) pairs += double(a.window > 0 ? std::min(t + 1, a.window) : t + 1);
            const double flops = 7.0 * 2.0 * double(a.head_dim) * double(a.n_head) * pairs;
            std::printf("  %-26s %5lld %9.1f us wall %9.1f us cpu %7.1f GFLOP/s\n", a.name,
                        static_cast<long long>(n), tm.wall * 1e6, tm.cpu * 1e6, flops / tm.wall * 1e-9);
        }
    }
    return 0;
}
