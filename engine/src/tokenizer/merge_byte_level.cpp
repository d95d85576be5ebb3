// Byte-level BPE: rank-ordered merging of one pre-tokenized word.
#include <algorithm>

#include "tokenizer/byte_alphabet.h"
#include "tokenizer/tokenizer_impl.h"

namespace engine {

bool WordCache::lookup(std::string_view word, std::vector<int32_t>& out) const {
    if (word.size() > kMaxWordBytes) return false;
    Shard& shard = shards_[StringHash{}(word) % kShards];
    std::lock_guard<std::mutex> lock(shard.mutex);
    auto it = shard.map.find(word);
    if (it == shard.map.end()) return false;
    out.insert(out.end(), it->second.begin(), it->second.end());
    return true;
}

void WordCache::insert(std::string_view word, const int32_t* ids, size_t n) const {
    if (word.size() > kMaxWordBytes) return;
    Shard& shard = shards_[StringHash{}(word) % kShards];
    std::lock_guard<std::mutex> lock(shard.mutex);
    if (shard.map.size() >= kMaxEntriesPerShard) shard.map.clear();
    shard.map.emplace(std::string(word), std::vector<int32_t>(ids, ids + n));
}

namespace {

struct Symbol {
    int32_t id;
    int32_t prev;  // index of the previous live symbol, -1 at the start
    int32_t next;  // index of the next live symbol, -1 at the end
};

// A possible merge of symbols[left] with its right neighbour; stale entries are skipped on pop.
struct Candidate {
    uint32_t rank;
    int32_t left;
    int32_t left_id;
    int32_t right_id;
    int32_t result;
    // std heap is a max-heap: "greater" means lower priority (higher rank, then further right).
    bool operator<(const Candidate& o) const { return rank != o.rank ? rank > o.rank : left > o.left; }
};

}  // namespace

void Tokenizer::Impl::encode_byte_level_word(std::string_view word, std::vector<int32_t>& out) const {
    if (word.empty()) return;
    if (cache.lookup(word, out)) return;
    const size_t out_start = out.size();

    if (ignore_merges) {
        // Llama 3 vocabularies hold many whole words that their merges cannot reach; HF and llama.cpp
        // take those directly.
        auto it = by_text.find(byte_alphabet::from_bytes(word));
        if (it != by_text.end()) {
            out.push_back(it->second);
            cache.insert(word, out.data() + out_start, 1);
            return;
        }
    }

    thread_local std::vector<Symbol> symbols;
    thread_local std::vector<Candidate> heap;
    symbols.clear();
    heap.clear();
    for (char c : word) {
        const int32_t id = byte_ids[static_cast<uint8_t>(c)];
        if (id < 0) continue;  // no token spells this byte: dropped, as HF BPE does without an unk token
        const auto idx = static_cast<int32_t>(symbols.size());
        symbols.push_back({id, idx - 1, -1});
        if (idx > 0) symbols[static_cast<size_t>(idx - 1)].next = idx;
    }
    auto push_candidate = [&](int32_t left) {
        const Symbol& l = symbols[static_cast<size_t>(left)];
        if (l.next < 0) return;
        const Symbol& r = symbols[static_cast<size_t>(l.next)];
        auto it = merges.find((static_cast<uint64_t>(static_cast<uint32_t>(l.id)) << 32) |
                              static_cast<uint32_t>(r.id));
        if (it == merges.end()) return;
        heap.push_back({it->second.rank, left, l.id, r.id, it->second.result});
        std::push_heap(heap.begin(), heap.end());
    };
    for (int32_t i = 0; i + 1 < static_cast<int32_t>(symbols.size()); ++i) push_candidate(i);

    while (!heap.empty()) {
        std::pop_heap(heap.begin(), heap.end());
        const Candidate c = heap.back();
        heap.pop_back();
        Symbol& l = symbols[static_cast<size_t>(c.left)];
        if (l.id != c.left_id || l.next < 0) continue;  // left side changed since this was queued
        Symbol& r = symbols[static_cast<size_t>(l.next)];
        if (r.id != c.right_id) continue;
        l.id = c.result;
        r.id = -1;  // dead
        l.next = r.next;
        if (r.next >= 0) symbols[static_cast<size_t>(r.next)].prev = c.left;
        if (l.prev >= 0) push_candidate(l.prev);
        push_candidate(c.left);
    }
    for (int32_t i = symbols.empty() ? -1 : 0; i >= 0; i = symbols[static_cast<size_t>(i)].next) {
        out.push_back(symbols[static_cast<size_t>(i)].id);
    }
    cache.insert(word, out.data() + out_start, out.size() - out_start);
}

}  // namespace engine
