// Logging hook. The engine never writes to stdout/stderr on its own and depends on
// no logging library: the host (app/ wires spdlog, the CLI writes to stderr)
// installs a callback. Without one, messages at warn and above go to stderr.
#pragma once

namespace engine {

enum class LogLevel { debug = 1, info = 2, warn = 3, error = 4 };

using LogCallback = void (*)(LogLevel level, const char* message, void* user_data);

// Process-wide hook in the style of ggml_log_set; set it once at start-up.
void log_set_callback(LogCallback callback, void* user_data);

// printf-style; formats into a stack buffer, so it is safe on hot paths only at debug level off.
void log_write(LogLevel level, const char* format, ...) __attribute__((format(printf, 2, 3)));

}  // namespace engine

#define ENGINE_LOG_DEBUG(...) ::engine::log_write(::engine::LogLevel::debug, __VA_ARGS__)
#define ENGINE_LOG_INFO(...) ::engine::log_write(::engine::LogLevel::info, __VA_ARGS__)
#define ENGINE_LOG_WARN(...) ::engine::log_write(::engine::LogLevel::warn, __VA_ARGS__)
#define ENGINE_LOG_ERROR(...) ::engine::log_write(::engine::LogLevel::error, __VA_ARGS__)
