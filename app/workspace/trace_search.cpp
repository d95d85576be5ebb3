// TraceStore search: FTS5 full text plus filters, sorted, with keyset paging.
#include <sstream>
#include <variant>

#include "workspace/trace_store.h"

namespace crucible {

using nlohmann::json;

namespace {

using Param = std::variant<int64_t, double, std::string>;

struct BuiltSql {
    std::string sql;
    std::vector<Param> params;
};

void bindAll(Statement& stmt, const std::vector<Param>& params) {
    for (size_t i = 0; i < params.size(); ++i) {
        const int index = static_cast<int>(i) + 1;
        if (const auto* v = std::get_if<int64_t>(&params[i]))
            stmt.bindInt(index, *v);
        else if (const auto* d = std::get_if<double>(&params[i]))
            stmt.bindDouble(index, *d);
        else
            stmt.bindText(index, std::get<std::string>(params[i]));
    }
}

// Every whitespace-separated word as an FTS5 string, so no character is syntax.
std::string quoteWords(const std::string& text) {
    std::istringstream in(text);
    std::string word, out;
    while (in >> word) {
        std::string quoted = "\"";
        for (char c : word) {
            if (c == '"')
                quoted += "\"\"";
            else
                quoted += c;
        }
        quoted += '"';
        if (!out.empty()) out += ' ';
        out += quoted;
    }
    return out;
}

enum class Mode { Page, Ids, Count };

struct Cursor {
    bool keyset = false;
    int64_t key = 0;
    int64_t id = 0;
    int64_t offset = 0;
};

std::optional<Cursor> parseCursor(const std::string& text) {
    Cursor c;
    try {
        if (text.rfind("o:", 0) == 0) {
            c.offset = std::stoll(text.substr(2));
            return c;
        }
        if (text.rfind("k:", 0) == 0) {
            const size_t colon = text.find(':', 2);
            if (colon == std::string::npos) return std::nullopt;
            c.keyset = true;
            c.key = std::stoll(text.substr(2, colon - 2));
            c.id = std::stoll(text.substr(colon + 1));
            return c;
        }
    } catch (const std::exception&) {
    }
    return std::nullopt;
}

// ftsAsFilter: for a date/length order over many full-text matches, walk the
// order's index and test membership in the (materialised) match set, stopping
// after one page, instead of fetching and sorting every match.
BuiltSql buildSearch(const SearchQuery& q, const std::string& fts, const Cursor& cursor, Mode mode,
                     bool ftsAsFilter = false) {
    BuiltSql b;
    const bool relevance = q.sort == SearchQuery::Sort::Relevance && !fts.empty();
    if (relevance) ftsAsFilter = false;
    const char* key = q.sort == SearchQuery::Sort::Length ? "t.total_length" : "t.sort_time_ms";
    std::string select;
    if (mode == Mode::Count)
        select = "SELECT count(*)";
    else if (mode == Mode::Ids)
        select = "SELECT t.id";
    else
        select =
            "SELECT t.id, t.format, t.source_file, t.source_line, t.model, t.sort_time_ms, t.message_count,"
            " t.total_length, t.has_tool_calls, t.label_verdict, t.label_score";
    std::vector<std::string> where;
    std::string from;
    if (!fts.empty() && ftsAsFilter) {
        from = " FROM traces t";
        // The unary + keeps the planner from driving the loop by this set.
        where.push_back("+t.id IN (SELECT rowid FROM traces_fts WHERE traces_fts MATCH ?)");
        b.params.emplace_back(fts);
    } else if (!fts.empty()) {
        from = " FROM traces_fts JOIN traces t ON t.id = traces_fts.rowid";
        where.push_back("traces_fts MATCH ?");
        b.params.emplace_back(fts);
    } else {
        from = " FROM traces t";
    }
    auto anyOf = [&](const char* column, const std::vector<std::string>& values) {
        if (values.empty()) return;
        std::string clause = std::string(column) + " IN (";
        for (size_t i = 0; i < values.size(); ++i) {
            clause += i ? ",?" : "?";
            b.params.emplace_back(values[i]);
        }
        where.push_back(clause + ")");
    };
    anyOf("t.format", q.formats);
    anyOf("t.model", q.models);
    if (!q.sourcePrefix.empty()) {
        // A range on the column rather than LIKE, whose wildcards would need escaping.
        where.push_back("t.source_file >= ? AND t.source_file < ?");
        b.params.emplace_back(q.sourcePrefix);
        b.params.emplace_back(q.sourcePrefix + "\xF4\x8F\xBF\xBF");
    }
    if (q.label == "labeled")
        where.push_back("t.label_verdict IS NOT NULL");
    else if (q.label == "unlabeled")
        where.push_back("t.label_verdict IS NULL");
    else if (!q.label.empty()) {
        where.push_back("t.label_verdict = ?");
        b.params.emplace_back(q.label);
    }
    for (const std::string& tag : q.tags) {
        where.push_back("t.id IN (SELECT trace_id FROM tags WHERE tag = ?)");
        b.params.emplace_back(tag);
    }
    if (q.fromMs) {
        where.push_back("t.sort_time_ms >= ?");
        b.params.emplace_back(*q.fromMs);
    }
    if (q.toMs) {
        where.push_back("t.sort_time_ms < ?");
        b.params.emplace_back(*q.toMs);
    }
    if (q.hasToolCalls) where.push_back(*q.hasToolCalls ? "t.has_tool_calls = 1" : "t.has_tool_calls = 0");
    if (q.minLength) {
        where.push_back("t.total_length >= ?");
        b.params.emplace_back(*q.minLength);
    }
    if (q.maxLength) {
        where.push_back("t.total_length <= ?");
        b.params.emplace_back(*q.maxLength);
    }
    if (q.datasetId) {
        where.push_back("t.id IN (SELECT trace_id FROM dataset_traces WHERE dataset_id = ?)");
        b.params.emplace_back(*q.datasetId);
    }
    if (mode == Mode::Page && cursor.keyset && !relevance) {
        where.push_back(std::string("(") + key + ", t.id) " + (q.descending ? "<" : ">") + " (?, ?)");
        b.params.emplace_back(cursor.key);
        b.params.emplace_back(cursor.id);
    }
    b.sql = select + from;
    for (size_t i = 0; i < where.size(); ++i) b.sql += (i ? " AND " : " WHERE ") + where[i];
    if (mode == Mode::Count) return b;
    const char* dir = q.descending ? " DESC" : " ASC";
    // bm25 rank: smaller is better, so "descending" relevance (best first) is ASC.
    if (relevance)
        b.sql += std::string(" ORDER BY traces_fts.rank") + (q.descending ? " ASC" : " DESC") + ", t.id";
    else
        b.sql += std::string(" ORDER BY ") + key + dir + ", t.id" + dir;
    if (mode == Mode::Page) {
        b.sql += " LIMIT ? OFFSET ?";
        b.params.emplace_back(static_cast<int64_t>(q.limit) +
                              1);  // one more tells whether a next page exists
        b.params.emplace_back(cursor.keyset ? int64_t{0} : cursor.offset);
    }
    return b;
}

}  // namespace

engine::Result<std::string> TraceStore::effectiveFtsQuery(const std::string& text) {
    if (text.find_first_not_of(" \t\r\n") == std::string::npos) return std::string();
    auto probe = m_db.prepare("SELECT 1 FROM traces_fts WHERE traces_fts MATCH ?1 LIMIT 1");
    if (!probe) return probe.error();
    probe->bindText(1, text);
    if (probe->step()) return text;  // valid FTS5 syntax: the user's operators are honoured
    return quoteWords(text);
}

engine::Result<SearchPage> TraceStore::search(const SearchQuery& query) {
    if (query.limit <= 0)
        return engine::make_error("[TraceStore::search] limit must be positive, got " +
                                  std::to_string(query.limit));
    auto fts = effectiveFtsQuery(query.text);
    if (!fts) return fts.error();
    Cursor cursor;
    cursor.offset = query.offset;
    if (!query.after.empty()) {
        auto parsed = parseCursor(query.after);
        if (!parsed) return engine::make_error("[TraceStore::search] malformed cursor '" + query.after + "'");
        cursor = *parsed;
    }
    SearchPage page;
    page.ftsQuery = *fts;
    bool ftsAsFilter = false;
    if (!fts->empty() && query.sort != SearchQuery::Sort::Relevance) {
        auto many = m_db.prepare(
            "SELECT count(*) FROM (SELECT rowid FROM traces_fts WHERE traces_fts MATCH ?1 LIMIT 2000)");
        if (!many) return many.error();
        many->bindText(1, *fts);
        auto row = many->step();
        if (!row) return row.error();
        ftsAsFilter = many->columnInt(0) >= 2000;
    }
    const BuiltSql built = buildSearch(query, *fts, cursor, Mode::Page, ftsAsFilter);
    auto stmt = m_db.prepare(built.sql);
    if (!stmt) return stmt.error();
    bindAll(*stmt, built.params);
    bool more = false;
    for (;;) {
        auto row = stmt->step();
        if (!row) return row.error();
        if (!*row) break;
        if (static_cast<int>(page.rows.size()) == query.limit) {
            more = true;
            break;
        }
        TraceSummary s;
        s.id = stmt->columnInt(0);
        s.format = stmt->columnText(1);
        s.sourceFile = stmt->columnText(2);
        s.sourceLine = stmt->columnInt(3);
        s.model = stmt->columnText(4);
        s.sortTimeMs = stmt->columnInt(5);
        s.messageCount = stmt->columnInt(6);
        s.totalLength = stmt->columnInt(7);
        s.hasToolCalls = stmt->columnInt(8) != 0;
        s.labelVerdict = stmt->columnText(9);
        s.labelScore = stmt->columnOptDouble(10);
        page.rows.push_back(std::move(s));
    }
    if (more && !page.rows.empty()) {
        const TraceSummary& last = page.rows.back();
        if (query.sort == SearchQuery::Sort::Relevance && !fts->empty())
            page.nextCursor = "o:" + std::to_string(cursor.offset + query.limit);
        else
            page.nextCursor =
                "k:" +
                std::to_string(query.sort == SearchQuery::Sort::Length ? last.totalLength : last.sortTimeMs) +
                ":" + std::to_string(last.id);
    }
    // Previews only for the rows shown (the first user message, else the first message).
    auto preview = m_db.prepare(
        "SELECT substr(content, 1, 200) FROM messages WHERE trace_id = ?1"
        " ORDER BY role = 'user' DESC, position LIMIT 1");
    if (!preview) return preview.error();
    for (TraceSummary& s : page.rows) {
        preview->reset();
        preview->bindInt(1, s.id);
        auto row = preview->step();
        if (!row) return row.error();
        if (*row) s.preview = preview->columnText(0);
    }
    if (query.withTotal) {
        const BuiltSql count = buildSearch(query, *fts, cursor, Mode::Count);
        auto countStmt = m_db.prepare(count.sql);
        if (!countStmt) return countStmt.error();
        bindAll(*countStmt, count.params);
        auto row = countStmt->step();
        if (!row) return row.error();
        page.total = countStmt->columnInt(0);
    }
    return page;
}

engine::Result<std::vector<int64_t>> TraceStore::searchIds(const SearchQuery& query) {
    auto fts = effectiveFtsQuery(query.text);
    if (!fts) return fts.error();
    const BuiltSql built = buildSearch(query, *fts, Cursor{}, Mode::Ids);
    auto stmt = m_db.prepare(built.sql);
    if (!stmt) return stmt.error();
    bindAll(*stmt, built.params);
    std::vector<int64_t> ids;
    for (;;) {
        auto row = stmt->step();
        if (!row) return row.error();
        if (!*row) break;
        ids.push_back(stmt->columnInt(0));
    }
    return ids;
}

json SearchQuery::toJson() const {
    json j = json::object();
    if (!text.empty()) j["text"] = text;
    if (!formats.empty()) j["formats"] = formats;
    if (!sourcePrefix.empty()) j["source_prefix"] = sourcePrefix;
    if (!models.empty()) j["models"] = models;
    if (!label.empty()) j["label"] = label;
    if (!tags.empty()) j["tags"] = tags;
    if (fromMs) j["from_ms"] = *fromMs;
    if (toMs) j["to_ms"] = *toMs;
    if (hasToolCalls) j["has_tool_calls"] = *hasToolCalls;
    if (minLength) j["min_length"] = *minLength;
    if (maxLength) j["max_length"] = *maxLength;
    if (datasetId) j["dataset_id"] = *datasetId;
    j["sort"] = sort == Sort::Length ? "length" : sort == Sort::Relevance ? "relevance" : "date";
    j["descending"] = descending;
    return j;
}

SearchQuery SearchQuery::fromJson(const json& j) {
    SearchQuery q;
    if (!j.is_object()) return q;
    auto strings = [&](const char* key) {
        std::vector<std::string> out;
        if (auto it = j.find(key); it != j.end() && it->is_array())
            for (const json& v : *it)
                if (v.is_string()) out.push_back(v.get<std::string>());
        return out;
    };
    auto integer = [&](const char* key) -> std::optional<int64_t> {
        if (auto it = j.find(key); it != j.end() && it->is_number_integer()) return it->get<int64_t>();
        return std::nullopt;
    };
    q.text = j.value("text", "");
    q.formats = strings("formats");
    q.sourcePrefix = j.value("source_prefix", "");
    q.models = strings("models");
    q.label = j.value("label", "");
    q.tags = strings("tags");
    q.fromMs = integer("from_ms");
    q.toMs = integer("to_ms");
    if (auto it = j.find("has_tool_calls"); it != j.end() && it->is_boolean())
        q.hasToolCalls = it->get<bool>();
    q.minLength = integer("min_length");
    q.maxLength = integer("max_length");
    q.datasetId = integer("dataset_id");
    const std::string sort = j.value("sort", "date");
    q.sort = sort == "length" ? Sort::Length : sort == "relevance" ? Sort::Relevance : Sort::Date;
    q.descending = j.value("descending", true);
    return q;
}

}  // namespace crucible
