// Byte sources for the import runner (plain files, .gz via zlib, .zip members
// via libzip) and a line splitter over them that never holds more than one
// line (plus a read buffer) in memory. Owned by the thread that reads.
#pragma once

#include <engine/result.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace crucible {

class ByteSource {
public:
    virtual ~ByteSource() = default;
    // Reads up to `size` bytes; 0 at the end.
    virtual engine::Result<size_t> read(char* buffer, size_t size) = 0;
    // Moves forward to the absolute uncompressed offset (re-reads when the source cannot seek).
    virtual engine::Status skipTo(int64_t offset);
    int64_t position() const { return m_position; }

protected:
    int64_t m_position = 0;  // uncompressed bytes delivered so far
};

engine::Result<std::unique_ptr<ByteSource>> openPlainFile(const std::string& path);
engine::Result<std::unique_ptr<ByteSource>> openGzipFile(const std::string& path);

// A .zip archive's member list, and a source per member.
struct ZipMember {
    int64_t index = 0;
    std::string name;
    int64_t size = 0;  // uncompressed
    int64_t mtimeMs = 0;
};
engine::Result<std::vector<ZipMember>> listZipMembers(const std::string& archivePath);
engine::Result<std::unique_ptr<ByteSource>> openZipMember(const std::string& archivePath, int64_t index);

class LineReader {
public:
    explicit LineReader(std::unique_ptr<ByteSource> source) : m_source(std::move(source)) {}

    // The first bytes (up to `size`) without consuming them, for format sniffing.
    engine::Result<std::string_view> peek(size_t size);
    // Resumes at an offset a previous reader reported (must be a line start).
    engine::Status skipTo(int64_t offset, int64_t lineNumber);
    // The next line without its "\n" / "\r\n"; false at the end of input.
    engine::Result<bool> next(std::string& line);
    // Everything left, for whole-document formats.
    engine::Result<std::string> readAll();

    int64_t offset() const { return m_offset; }    // bytes consumed by the lines returned so far
    int64_t lineNumber() const { return m_line; }  // 1-based number of the last line returned

private:
    engine::Status fill();  // appends one chunk to m_buffer; sets m_eof at the end
    std::unique_ptr<ByteSource> m_source;
    std::string m_buffer;  // unread bytes start at m_start
    size_t m_start = 0;
    bool m_eof = false;
    int64_t m_offset = 0;
    int64_t m_line = 0;
};

}  // namespace crucible
