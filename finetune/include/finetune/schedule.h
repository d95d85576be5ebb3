// Learning-rate schedules: a linear warmup, then constant, linear decay or
// cosine decay down to min_lr_ratio * peak_lr at total_steps.
//
// Steps are 0-based optimizer updates. During warmup (step < warmup_steps) the
// rate rises linearly, lr = peak * (step + 1) / warmup_steps, so the first
// update already moves and the last warmup step reaches the peak. After it,
// with progress p = (step - warmup) / (total - warmup) clamped to [0, 1]:
//   constant: peak
//   linear:   min + (peak - min) * (1 - p)
//   cosine:   min + (peak - min) * (1 + cos(pi p)) / 2
#pragma once

#include <cstdint>
#include <string_view>

#include "engine/result.h"

namespace finetune {

enum class LrScheduleKind { constant, linear, cosine };

std::string_view lr_schedule_name(LrScheduleKind kind);  // "constant", "linear", "cosine"
engine::Result<LrScheduleKind> parse_lr_schedule(std::string_view name);

struct LrSchedule {
    LrScheduleKind kind = LrScheduleKind::cosine;
    double peak_lr = 1e-4;
    int64_t warmup_steps = 0;
    int64_t total_steps = 1;
    double min_lr_ratio = 0.0;  // in [0, 1]

    // peak_lr finite and > 0, 0 <= warmup_steps <= total_steps, total_steps >= 1, ratio in [0, 1].
    engine::Status validate() const;
    double lr_at(int64_t step) const;
};

}  // namespace finetune
