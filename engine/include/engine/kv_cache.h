// Per-sequence key/value cache for Model::forward (F32), plus the scratch
// buffers the forward pass needs, all sized at creation so that decoding a
// token allocates nothing.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "engine/result.h"

namespace engine {

struct ModelConfig;
struct ForwardScratch;  // src/model/forward_scratch.h

class KvCache {
public:
    // capacity: positions the cache can hold; max_batch: tokens per forward chunk.
    static Result<std::unique_ptr<KvCache>> create(const ModelConfig& config, int64_t capacity,
                                                   int64_t max_batch = 64);
    ~KvCache();
    KvCache(const KvCache&) = delete;
    KvCache& operator=(const KvCache&) = delete;

    int64_t capacity() const { return capacity_; }
    int64_t max_batch() const { return max_batch_; }
    int64_t size() const { return size_; }  // positions [0, size) hold valid entries
    void clear() { size_ = 0; }
    // Forgets positions >= n (n <= size()).
    Status truncate(int64_t n);

    int64_t n_layer() const { return n_layer_; }
    int64_t n_head_kv() const { return n_head_kv_; }
    int64_t head_dim() const { return head_dim_; }
    // Layer il: [n_head_kv, capacity, head_dim], one contiguous row per head and position.
    float* k(int64_t il) { return k_.data() + static_cast<size_t>(il) * layer_stride(); }
    float* v(int64_t il) { return v_.data() + static_cast<size_t>(il) * layer_stride(); }
    const float* k(int64_t il) const { return k_.data() + static_cast<size_t>(il) * layer_stride(); }
    const float* v(int64_t il) const { return v_.data() + static_cast<size_t>(il) * layer_stride(); }

    // For Model::forward only.
    void set_size(int64_t n) { size_ = n; }
    ForwardScratch& scratch() { return *scratch_; }

private:
    KvCache() = default;
    size_t layer_stride() const { return static_cast<size_t>(n_head_kv_ * capacity_ * head_dim_); }

    int64_t capacity_ = 0;
    int64_t max_batch_ = 0;
    int64_t size_ = 0;
    int64_t n_layer_ = 0;
    int64_t n_head_kv_ = 0;
    int64_t head_dim_ = 0;
    std::vector<float> k_;  // [n_layer, n_head_kv, capacity, head_dim]
    std::vector<float> v_;  // [n_layer, n_head_kv, capacity, head_dim]
    std::unique_ptr<ForwardScratch> scratch_;
};

}  // namespace engine
