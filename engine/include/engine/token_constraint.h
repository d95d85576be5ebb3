// A constraint on the tokens a generation may produce (constrained decoding).
//
// The Generator drives it once per step: set_token_budget() with the number of
// tokens that may still be sampled, mask() on the working logits (after the
// logit bias, before penalties: see sampler.h), then accept() with the token
// actually sampled. End-of-generation tokens are allowed exactly when complete().
#pragma once

#include <cstdint>
#include <span>

#include "engine/result.h"

namespace engine {

class TokenConstraint {
public:
    virtual ~TokenConstraint() = default;

    // Sets the logits of forbidden tokens to -inf and leaves the others alone.
    // `logits` may be longer than the tokenizer's vocabulary (padded model
    // vocabularies); the extra entries are forbidden.
    virtual void mask(std::span<float> logits) = 0;

    // Advances over one token; an error (naming the token) when mask() would
    // have forbidden it. The state is unchanged on error.
    virtual Status accept(int32_t token) = 0;

    // The text accepted so far is a full value: an end token may follow.
    virtual bool complete() const = 0;

    // complete() and nothing but an end token can follow (the generator stops
    // without sampling one).
    virtual bool must_end() const { return false; }

    // The number of tokens that may still be sampled, this one included. A
    // constraint that can bound its own length forbids tokens after which it
    // could no longer complete within the budget. Negative means unlimited.
    virtual void set_token_budget(int64_t tokens) { (void)tokens; }

    // How many tokens the last mask() allowed (0: a dead end).
    virtual int64_t allowed_count() const = 0;

    // Back to the initial state (nothing accepted, no budget).
    virtual void reset() = 0;
};

}  // namespace engine
