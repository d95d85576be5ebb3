#include "workspace/line_reader.h"

#include <zip.h>
#include <zlib.h>

#include <cstdio>

namespace crucible {

namespace {

constexpr size_t kChunk = 1 << 20;

class PlainFileSource : public ByteSource {
public:
    explicit PlainFileSource(std::FILE* file) : m_file(file) {}
    ~PlainFileSource() override { std::fclose(m_file); }
    engine::Result<size_t> read(char* buffer, size_t size) override {
        const size_t n = std::fread(buffer, 1, size, m_file);
        if (n == 0 && std::ferror(m_file)) return engine::make_error("[PlainFileSource] read error");
        m_position += static_cast<int64_t>(n);
        return n;
    }
    engine::Status skipTo(int64_t offset) override {
        if (std::fseek(m_file, static_cast<long>(offset), SEEK_SET) != 0)
            return engine::make_error("[PlainFileSource] cannot seek to " + std::to_string(offset));
        m_position = offset;
        return {};
    }

private:
    std::FILE* m_file;
};

class GzipSource : public ByteSource {
public:
    GzipSource(gzFile file, std::string path) : m_file(file), m_path(std::move(path)) {}
    ~GzipSource() override { gzclose(m_file); }
    engine::Result<size_t> read(char* buffer, size_t size) override {
        const int n = gzread(m_file, buffer, static_cast<unsigned>(size));
        if (n < 0) {
            int code = 0;
            return engine::make_error("[GzipSource] '" + m_path + "': " + gzerror(m_file, &code));
        }
        m_position += n;
        return static_cast<size_t>(n);
    }

private:
    gzFile m_file;
    std::string m_path;
};

class ZipMemberSource : public ByteSource {
public:
    ZipMemberSource(zip_t* archive, zip_file_t* file, std::string name)
        : m_archive(archive), m_file(file), m_name(std::move(name)) {}
    ~ZipMemberSource() override {
        zip_fclose(m_file);
        zip_discard(m_archive);
    }
    engine::Result<size_t> read(char* buffer, size_t size) override {
        const zip_int64_t n = zip_fread(m_file, buffer, size);
        if (n < 0)
            return engine::make_error("[ZipMemberSource] '" + m_name + "': " + zip_file_strerror(m_file));
        m_position += n;
        return static_cast<size_t>(n);
    }

private:
    zip_t* m_archive;
    zip_file_t* m_file;
    std::string m_name;
};

engine::Result<zip_t*> openZip(const std::string& path) {
    int error = 0;
    zip_t* archive = zip_open(path.c_str(), ZIP_RDONLY, &error);
    if (!archive) {
        zip_error_t ze;
        zip_error_init_with_code(&ze, error);
        std::string message = "[zip] cannot open '" + path + "': " + zip_error_strerror(&ze);
        zip_error_fini(&ze);
        return engine::make_error(std::move(message));
    }
    return archive;
}

}  // namespace

engine::Status ByteSource::skipTo(int64_t offset) {
    std::vector<char> scratch(kChunk);
    while (m_position < offset) {
        const size_t want = static_cast<size_t>(std::min<int64_t>(offset - m_position, kChunk));
        auto n = read(scratch.data(), want);
        if (!n) return n.error();
        if (*n == 0)
            return engine::make_error("[ByteSource] input ends before offset " + std::to_string(offset));
    }
    return {};
}

engine::Result<std::unique_ptr<ByteSource>> openPlainFile(const std::string& path) {
    std::FILE* file = std::fopen(path.c_str(), "rb");
    if (!file) return engine::make_error("[import] cannot open '" + path + "'");
    return std::unique_ptr<ByteSource>(new PlainFileSource(file));
}

engine::Result<std::unique_ptr<ByteSource>> openGzipFile(const std::string& path) {
    gzFile file = gzopen(path.c_str(), "rb");
    if (!file) return engine::make_error("[import] cannot open '" + path + "'");
    gzbuffer(file, 256 * 1024);
    return std::unique_ptr<ByteSource>(new GzipSource(file, path));
}

engine::Result<std::vector<ZipMember>> listZipMembers(const std::string& archivePath) {
    auto archive = openZip(archivePath);
    if (!archive) return archive.error();
    std::vector<ZipMember> members;
    const zip_int64_t count = zip_get_num_entries(*archive, 0);
    for (zip_int64_t i = 0; i < count; ++i) {
        zip_stat_t st;
        zip_stat_init(&st);
        if (zip_stat_index(*archive, static_cast<zip_uint64_t>(i), 0, &st) != 0 || !st.name) continue;
        std::string name = st.name;
        if (name.empty() || name.back() == '/') continue;  // a folder entry
        members.push_back({i, name, static_cast<int64_t>(st.size), static_cast<int64_t>(st.mtime) * 1000});
    }
    zip_discard(*archive);
    return members;
}

engine::Result<std::unique_ptr<ByteSource>> openZipMember(const std::string& archivePath, int64_t index) {
    auto archive = openZip(archivePath);
    if (!archive) return archive.error();
    zip_file_t* file = zip_fopen_index(*archive, static_cast<zip_uint64_t>(index), 0);
    if (!file) {
        std::string message = "[zip] cannot open member " + std::to_string(index) + " of '" + archivePath +
                              "': " + zip_strerror(*archive);
        zip_discard(*archive);
        return engine::make_error(std::move(message));
    }
    return std::unique_ptr<ByteSource>(new ZipMemberSource(*archive, file, archivePath));
}

// ---- LineReader ------------------------------------------------------------

engine::Status LineReader::fill() {
    if (m_start > 0 && m_start >= m_buffer.size() / 2) {  // drop consumed bytes before growing
        m_buffer.erase(0, m_start);
        m_start = 0;
    }
    const size_t old = m_buffer.size();
    m_buffer.resize(old + kChunk);
    auto n = m_source->read(m_buffer.data() + old, kChunk);
    if (!n) {
        m_buffer.resize(old);
        return n.error();
    }
    m_buffer.resize(old + *n);
    if (*n == 0) m_eof = true;
    return {};
}

engine::Result<std::string_view> LineReader::peek(size_t size) {
    while (m_buffer.size() - m_start < size && !m_eof) {
        auto status = fill();
        if (!status) return status.error();
    }
    return std::string_view(m_buffer).substr(m_start, size);
}

engine::Status LineReader::skipTo(int64_t offset, int64_t lineNumber) {
    m_buffer.clear();
    m_start = 0;
    m_eof = false;
    auto status = m_source->skipTo(offset);
    if (!status) return status;
    m_offset = offset;
    m_line = lineNumber;
    return {};
}

engine::Result<bool> LineReader::next(std::string& line) {
    size_t searchFrom = m_start;
    for (;;) {
        const size_t newline = m_buffer.find('\n', searchFrom);
        if (newline != std::string::npos) {
            size_t end = newline;
            if (end > m_start && m_buffer[end - 1] == '\r') --end;
            line.assign(m_buffer, m_start, end - m_start);
            m_offset += static_cast<int64_t>(newline + 1 - m_start);
            m_start = newline + 1;
            ++m_line;
            return true;
        }
        if (m_eof) {
            if (m_start >= m_buffer.size()) return false;
            line.assign(m_buffer, m_start, std::string::npos);  // a last line without "\n"
            if (!line.empty() && line.back() == '\r') line.pop_back();
            m_offset += static_cast<int64_t>(m_buffer.size() - m_start);
            m_start = m_buffer.size();
            ++m_line;
            return true;
        }
        const size_t scanned = m_buffer.size() - m_start;
        auto status = fill();
        if (!status) return status.error();
        searchFrom = m_start + scanned;  // fill() may have moved the unread bytes to the front
    }
}

engine::Result<std::string> LineReader::readAll() {
    while (!m_eof) {
        auto status = fill();
        if (!status) return status.error();
    }
    std::string all = m_buffer.substr(m_start);
    m_offset += static_cast<int64_t>(all.size());
    m_start = m_buffer.size();
    return all;
}

}  // namespace crucible
