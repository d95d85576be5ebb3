#include "engine/log.h"

#include <atomic>
#include <cstdarg>
#include <cstdio>

namespace engine {
namespace {

struct Hook {
    LogCallback callback;
    void* user_data;
};

void default_callback(LogLevel level, const char* message, void*) {
    if (level >= LogLevel::warn) std::fprintf(stderr, "%s\n", message);
}

std::atomic<Hook*> g_hook{nullptr};
Hook g_slots[2];
std::atomic<int> g_next_slot{0};

}  // namespace

void log_set_callback(LogCallback callback, void* user_data) {
    // Two slots so a concurrent log_write never sees a half-written hook.
    int slot = g_next_slot.fetch_add(1) & 1;
    g_slots[slot] = Hook{callback, user_data};
    g_hook.store(callback ? &g_slots[slot] : nullptr, std::memory_order_release);
}

void log_write(LogLevel level, const char* format, ...) {
    char buffer[2048];
    va_list args;
    va_start(args, format);
    std::vsnprintf(buffer, sizeof buffer, format, args);
    va_end(args);
    Hook* hook = g_hook.load(std::memory_order_acquire);
    if (hook)
        hook->callback(level, buffer, hook->user_data);
    else
        default_callback(level, buffer, nullptr);
}

}  // namespace engine
