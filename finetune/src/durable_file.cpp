#include "durable_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace finetune {

namespace {

std::array<uint32_t, 256> crc_table() {
    std::array<uint32_t, 256> table{};
    for (uint32_t i = 0; i < 256; ++i) {
        uint32_t c = i;
        for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
        table[i] = c;
    }
    return table;
}

}  // namespace

uint32_t crc32(const uint8_t* data, size_t n) {
    static const std::array<uint32_t, 256> table = crc_table();
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; ++i) c = table[(c ^ data[i]) & 0xffu] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

engine::Status write_file_synced(const std::string& path, std::string_view bytes) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return engine::make_error("[checkpoint] cannot create '" + path + "': " + std::strerror(errno));
    size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            const int err = errno;
            ::close(fd);
            return engine::make_error("[checkpoint] writing '" + path + "' failed: " + std::strerror(err));
        }
        done += static_cast<size_t>(n);
    }
    const bool synced = ::fsync(fd) == 0;
    const int err = errno;
    ::close(fd);
    if (!synced)
        return engine::make_error("[checkpoint] fsync of '" + path + "' failed: " + std::strerror(err));
    return {};
}

engine::Status fsync_path(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return engine::make_error("[checkpoint] cannot open '" + path + "': " + std::strerror(errno));
    const bool synced = ::fsync(fd) == 0;
    const int err = errno;
    ::close(fd);
    if (!synced)
        return engine::make_error("[checkpoint] fsync of '" + path + "' failed: " + std::strerror(err));
    return {};
}

engine::Result<std::string> read_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) return engine::make_error("[checkpoint] cannot open '" + path + "'");
    std::stringstream s;
    s << f.rdbuf();
    if (f.bad()) return engine::make_error("[checkpoint] reading '" + path + "' failed");
    return s.str();
}

}  // namespace finetune
