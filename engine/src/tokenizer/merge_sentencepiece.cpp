// SentencePiece-style BPE: characters merged by the score of the merged piece, highest first (ties:
// leftmost), then byte fallback for characters the vocabulary lacks.
#include <algorithm>

#include "tokenizer/tokenizer_impl.h"
#include "tokenizer/utf8.h"

namespace engine {

namespace {

constexpr std::string_view kSpaceMark = "\xE2\x96\x81";  // U+2581, SentencePiece's visible space

struct Piece {
    uint32_t start;  // byte offset in the normalized text
    uint32_t length;
    int32_t prev;
    int32_t next;
};

struct Candidate {
    float score;
    int32_t left;
    uint32_t length;  // of the merged piece; a mismatch on pop means a side changed
    int32_t id;
    bool operator<(const Candidate& o) const { return score != o.score ? score < o.score : left > o.left; }
};

}  // namespace

void Tokenizer::Impl::encode_sentencepiece(std::string_view text, bool at_start,
                                           std::vector<int32_t>& out) const {
    if (text.empty()) return;
    thread_local std::string norm;
    thread_local std::vector<Piece> pieces;
    thread_local std::vector<Candidate> heap;
    norm.clear();
    pieces.clear();
    heap.clear();
    if (spec.add_space_prefix && (at_start || spec.space_prefix_every_fragment) &&
        !(spec.space_prefix_unless_space && (text[0] == ' ' || text.starts_with(kSpaceMark)))) {
        norm.append(kSpaceMark);
    }
    for (char c : text) {
        if (c == ' ') {
            norm.append(kSpaceMark);
        } else {
            norm.push_back(c);
        }
    }
    for (size_t i = 0; i < norm.size();) {
        size_t len;
        bool valid;
        utf8::decode_at(norm, i, len, valid);
        const auto idx = static_cast<int32_t>(pieces.size());
        pieces.push_back({static_cast<uint32_t>(i), static_cast<uint32_t>(len), idx - 1, -1});
        if (idx > 0) pieces[static_cast<size_t>(idx - 1)].next = idx;
        i += len;
    }

    auto push_candidate = [&](int32_t left) {
        const Piece& l = pieces[static_cast<size_t>(left)];
        if (l.next < 0) return;
        const Piece& r = pieces[static_cast<size_t>(l.next)];
        const std::string_view merged(norm.data() + l.start, l.length + r.length);
        auto it = by_text.find(merged);
        if (it == by_text.end() || !spm_mergeable(it->second)) return;
        heap.push_back({spec.scores[static_cast<size_t>(it->second)], left, l.length + r.length, it->second});
        std::push_heap(heap.begin(), heap.end());
    };
    for (int32_t i = 0; i + 1 < static_cast<int32_t>(pieces.size()); ++i) push_candidate(i);

    while (!heap.empty()) {
        std::pop_heap(heap.begin(), heap.end());
        const Candidate c = heap.back();
        heap.pop_back();
        Piece& l = pieces[static_cast<size_t>(c.left)];
        if (l.length == 0 || l.next < 0) continue;
        Piece& r = pieces[static_cast<size_t>(l.next)];
        if (l.length + r.length != c.length) continue;  // stale: one side grew since it was queued
        l.length += r.length;
        r.length = 0;  // dead
        l.next = r.next;
        if (r.next >= 0) pieces[static_cast<size_t>(r.next)].prev = c.left;
        if (l.prev >= 0) push_candidate(l.prev);
        push_candidate(c.left);
    }

    for (int32_t i = 0; i >= 0; i = pieces[static_cast<size_t>(i)].next) {
        const Piece& p = pieces[static_cast<size_t>(i)];
        const std::string_view piece(norm.data() + p.start, p.length);
        auto it = by_text.find(piece);
        if (it != by_text.end() && spm_mergeable(it->second)) {
            out.push_back(it->second);
            continue;
        }
        // Byte fallback: <0xNN> per byte when the vocabulary has them all, else one unknown token.
        bool all_bytes = true;
        for (char ch : piece) all_bytes = all_bytes && byte_ids[static_cast<uint8_t>(ch)] >= 0;
        if (all_bytes) {
            for (char ch : piece) out.push_back(byte_ids[static_cast<uint8_t>(ch)]);
        } else if (spec.unk_id >= 0) {
            out.push_back(spec.unk_id);
        }
    }
}

}  // namespace engine
