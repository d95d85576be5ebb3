// Files that survive a crash once written: write + fsync, folder fsync, CRC-32.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/result.h"

namespace finetune {

// CRC-32 (IEEE 802.3, as zlib's crc32) of a byte range.
uint32_t crc32(const uint8_t* data, size_t n);

// Creates or truncates path, writes bytes and fsyncs the file.
engine::Status write_file_synced(const std::string& path, std::string_view bytes);
// fsync of an existing file or folder (a folder's fsync makes its entries durable).
engine::Status fsync_path(const std::string& path);
// The whole content of a file.
engine::Result<std::string> read_file(const std::string& path);

}  // namespace finetune
