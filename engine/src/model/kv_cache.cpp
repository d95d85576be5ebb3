#include "engine/kv_cache.h"

#include "engine/model.h"
#include "model/forward_scratch.h"

namespace engine {

ForwardScratch::ForwardScratch(const ModelConfig& c, int64_t max_batch) {
    auto sized = [&](int64_t per_token) {
        return std::vector<float>(static_cast<size_t>(max_batch * per_token));
    };
    x = sized(c.n_embd);
    xn = sized(c.n_embd);
    proj = sized(c.n_embd);
    q = sized(c.q_dim());
    k = sized(c.kv_dim());
    v = sized(c.kv_dim());
    attn = sized(c.q_dim());
    gate = sized(c.n_ff);
    up = sized(c.n_ff);
    rope_global = sized(c.head_dim);
    rope_local = sized(c.head_dim);
    batch_k.resize(static_cast<size_t>(max_batch));
    batch_v.resize(static_cast<size_t>(max_batch));
    batch_pos.resize(static_cast<size_t>(max_batch));
}

Result<std::unique_ptr<KvCache>> KvCache::create(const ModelConfig& config, int64_t capacity,
                                                 int64_t max_batch) {
    if (capacity <= 0)
        return make_error("[kv_cache] capacity " + std::to_string(capacity) + " is not positive");
    if (max_batch <= 0)
        return make_error("[kv_cache] max_batch " + std::to_string(max_batch) + " is not positive");
    if (config.n_layer <= 0 || config.n_head_kv <= 0 || config.head_dim <= 0)
        return make_error("[kv_cache] the model configuration is empty");
    std::unique_ptr<KvCache> cache(new KvCache());
    cache->capacity_ = capacity;
    cache->max_batch_ = max_batch;
    cache->n_layer_ = config.n_layer;
    cache->n_head_kv_ = config.n_head_kv;
    cache->head_dim_ = config.head_dim;
    const size_t total = static_cast<size_t>(config.n_layer) * cache->layer_stride();
    cache->k_.assign(total, 0.0f);
    cache->v_.assign(total, 0.0f);
    cache->scratch_ = std::make_unique<ForwardScratch>(config, max_batch);
    return cache;
}

KvCache::~KvCache() = default;

Status KvCache::truncate(int64_t n) {
    if (n < 0 || n > size_)
        return make_error("[kv_cache] cannot truncate to " + std::to_string(n) + " positions (holds " +
                          std::to_string(size_) + ")");
    size_ = n;
    return {};
}

}  // namespace engine
