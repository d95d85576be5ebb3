// bench_matmul: times matmul on SmolLM2-135M and gemma-3-270m shapes.
//   bench_matmul [--path scalar|avx2|avx_vnni|avx512] [--types q4_1,q8_0,...] [--min-ms N]
// Prints, per (shape, type, n_tokens, threads): wall and process-CPU microseconds
// per call, GB/s of weight bytes streamed (weights are read once per call) and
// GFLOP/s (2*k*rows*n_tokens), both from wall time. On a shared machine the CPU
// time of a 1-thread run is the better measure of the kernel itself.
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "engine/matmul.h"
#include "engine/quant.h"

namespace {

struct Shape {
    const char* name;
    int64_t k, rows;
    bool decode_only;  // large heads: timed at n_tokens = 1 only
};

// k x rows as in the model files (ne[0] x ne[1]). K-quants need k % 256 == 0, which
// only the down/output projections meet (the files use Q5_0/Q8_0 elsewhere).
const Shape kShapes[] = {
    {"smol attn_q 576x576", 576, 576, false},      {"smol ffn_up 576x1536", 576, 1536, false},
    {"smol ffn_down 1536x576", 1536, 576, false},  {"gemma attn_q 640x1024", 640, 1024, false},
    {"gemma ffn_up 640x2048", 640, 2048, false},   {"gemma attn_out 1024x640", 1024, 640, false},
    {"gemma ffn_down 2048x640", 2048, 640, false}, {"smol head 576x49152", 576, 49152, true},
    {"gemma head/8 640x32768", 640, 32768, true},
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double process_cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<engine::DType> types = {engine::DType::Q4_1, engine::DType::Q8_0, engine::DType::Q4_K,
                                        engine::DType::Q6_K, engine::DType::Q5_0, engine::DType::F16};
    double min_seconds = 0.15;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--path" && i + 1 < argc) {
            std::string name = argv[++i];
            bool ok = false;
            for (auto p : {engine::CpuPath::scalar, engine::CpuPath::avx2, engine::CpuPath::avx_vnni,
                           engine::CpuPath::avx512})
                if (name == engine::cpu_path_name(p)) ok = engine::cpu_path_force(p);
            if (!ok) {
                std::fprintf(stderr, "path %s is not available on this CPU/build\n", name.c_str());
                return 1;
            }
        } else if (arg == "--types" && i + 1 < argc) {
            types.clear();
            std::string list = argv[++i];
            size_t pos = 0;
            while (pos <= list.size()) {
                size_t end = list.find(',', pos);
                if (end == std::string::npos) end = list.size();
                auto t = engine::dtype_from_name(list.substr(pos, end - pos));
                if (!t || !engine::quant_supported(*t)) {
                    std::fprintf(stderr, "unknown type %s\n", list.substr(pos, end - pos).c_str());
                    return 1;
                }
                types.push_back(*t);
                pos = end + 1;
            }
        } else if (arg == "--min-ms" && i + 1 < argc) {
            min_seconds = std::stod(argv[++i]) / 1000.0;
        } else {
            std::fprintf(stderr, "usage: %s [--path P] [--types t1,t2] [--min-ms N]\n", argv[0]);
            return 1;
        }
    }
    std::printf("path %s\n", engine::cpu_path_name(engine::cpu_path_active()));
    std::printf("%-26s %-5s %4s %3s %10s %10s %8s %9s\n", "shape", "type", "ntok", "thr", "wall_us", "cpu_us",
                "GB/s", "GFLOP/s");
    engine::ThreadPool pools[2] = {engine::ThreadPool(1), engine::ThreadPool(2)};
    std::mt19937 rng(1);
    std::uniform_real_distribution<float> normal(-0.1f, 0.1f);
    for (const Shape& s : kShapes) {
        for (engine::DType type : types) {
            if (s.k % engine::dtype_info(type).block_size != 0) continue;
            const size_t row_bytes = engine::dtype_row_bytes(type, s.k);
            std::vector<uint8_t> w(row_bytes * static_cast<size_t>(s.rows));
            std::vector<float> row(static_cast<size_t>(s.k));
            for (int64_t r = 0; r < s.rows; ++r) {
                for (auto& v : row) v = normal(rng);
                if (!engine::quantize_row(type, row.data(), w.data() + r * row_bytes, s.k).ok()) return 1;
            }
            engine::TensorView view;
            view.type = type;
            view.n_dims = 2;
            view.ne = {s.k, s.rows, 1, 1};
            view.data = w.data();
            for (int64_t n_tokens : {int64_t{1}, int64_t{64}}) {
                if (s.decode_only && n_tokens > 1) continue;
                std::vector<float> x(static_cast<size_t>(s.k * n_tokens));
                for (auto& v : x) v = normal(rng) * 20.0f;
                std::vector<float> y(static_cast<size_t>(s.rows * n_tokens));
                for (auto& pool : pools) {
                    engine::matmul(view, x.data(), n_tokens, y.data(), pool);  // warm-up
                    int64_t iters = 0;
                    const double cpu0 = process_cpu_seconds();
                    auto t0 = std::chrono::steady_clock::now();
                    double elapsed = 0.0;
                    do {
                        engine::matmul(view, x.data(), n_tokens, y.data(), pool);
                        ++iters;
                        elapsed = seconds_since(t0);
                    } while (elapsed < min_seconds);
                    const double per_call = elapsed / static_cast<double>(iters);
                    const double cpu_per_call = (process_cpu_seconds() - cpu0) / static_cast<double>(iters);
                    const double gbs = static_cast<double>(w.size()) / per_call / 1e9;
                    const double gflops = 2.0 * static_cast<double>(s.k * s.rows * n_tokens) / per_call / 1e9;
                    std::printf("%-26s %-5s %4lld %3d %10.1f %10.1f %8.1f %9.1f\n", s.name,
                                std::string(engine::dtype_name(type)).c_str(),
                                static_cast<long long>(n_tokens), pool.size(), per_call * 1e6,
                                cpu_per_call * 1e6, gbs, gflops);
                    std::fflush(stdout);
                }
            }
        }
    }
    return 0;
}
