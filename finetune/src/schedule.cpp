#include "finetune/schedule.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>

namespace finetune {

std::string_view lr_schedule_name(LrScheduleKind kind) {
    switch (kind) {
        case LrScheduleKind::constant:
            return "constant";
        case LrScheduleKind::linear:
            return "linear";
        case LrScheduleKind::cosine:
            return "cosine";
    }
    return "?";
}

engine::Result<LrScheduleKind> parse_lr_schedule(std::string_view name) {
    for (auto kind : {LrScheduleKind::constant, LrScheduleKind::linear, LrScheduleKind::cosine})
        if (lr_schedule_name(kind) == name) return kind;
    return engine::make_error("[schedule] unknown learning-rate schedule '" + std::string(name) +
                              "' (expected constant, linear or cosine)");
}

engine::Status LrSchedule::validate() const {
    if (!std::isfinite(peak_lr) || peak_lr <= 0.0)
        return engine::make_error("[schedule] peak learning rate must be positive, got " +
                                  std::to_string(peak_lr));
    if (total_steps < 1)
        return engine::make_error("[schedule] total_steps must be at least 1, got " +
                                  std::to_string(total_steps));
    if (warmup_steps < 0 || warmup_steps > total_steps)
        return engine::make_error("[schedule] warmup_steps " + std::to_string(warmup_steps) +
                                  " is outside [0, total_steps = " + std::to_string(total_steps) + "]");
    if (!(min_lr_ratio >= 0.0 && min_lr_ratio <= 1.0))
        return engine::make_error("[schedule] min_lr_ratio must be in [0, 1], got " +
                                  std::to_string(min_lr_ratio));
    return {};
}

double LrSchedule::lr_at(int64_t step) const {
    step = std::max<int64_t>(step, 0);
    if (step < warmup_steps)
        return peak_lr * static_cast<double>(step + 1) / static_cast<double>(warmup_steps);
    if (kind == LrScheduleKind::constant) return peak_lr;
    const double min_lr = peak_lr * min_lr_ratio;
    const int64_t decay_steps = std::max<int64_t>(total_steps - warmup_steps, 1);
    const double p =
        std::clamp(static_cast<double>(step - warmup_steps) / static_cast<double>(decay_steps), 0.0, 1.0);
    if (kind == LrScheduleKind::linear) return min_lr + (peak_lr - min_lr) * (1.0 - p);
    return min_lr + (peak_lr - min_lr) * 0.5 * (1.0 + std::cos(std::numbers::pi * p));
}

}  // namespace finetune
