// clickhouse_target.cpp — see clickhouse_target.h.
#include "clickhouse_target.h"

#include <charconv>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>
#include <sstream>
#include <thread>
#include <unordered_map>

#include "json_string.h"
#include "log.h"
#include "number_text.h"

namespace flatwal {
namespace {

// Whether ClickHouse's error text ("Code: N, e.displayText() = ...") has one of `codes`.
template <size_t N>
bool HasErrorCode(const std::string& body, const char* const (&codes)[N]) {
	for (const char* code : codes)
		if (body.find(code) != std::string::npos) return true;
	return false;
}

// ClickHouse error codes that pass with time: memory or part limits,
// too many queries, timeouts, a table being altered.
bool TransientClickHouseError(const std::string& body) {
	static const char* const kCodes[] = {"Code: 241,", "Code: 252,", "Code: 202,", "Code: 159,", "Code: 209,",
	                                     "Code: 210,", "Code: 473,"};
	return HasErrorCode(body, kCodes);
}

// The columns every line ends with: the row's position, commit time, deleted flag.
void AppendPositionJson(const Position& pos, uint64_t lsn, int64_t commit_time_ms, bool deleted, std::string* line) {
	auto append_number = [&](const char* name, auto v) {
		line->append(name);
		AppendDecimal(v, line);
	};
	append_number("\"_timeline\":", pos.timeline);
	append_number(",\"_commit_lsn\":", pos.commit_lsn);
	append_number(",\"_seq\":", pos.seq);
	append_number(",\"_lsn\":", lsn);
	append_number(",\"_commit_time_ms\":", commit_time_ms);
	line->append(deleted ? ",\"_deleted\":1}\n" : ",\"_deleted\":0}\n");
}

// ClickHouse error codes about the data a statement carried: a value that
// does not parse as or convert to its column's type, or is out of its range.
bool ClickHouseBlamesTheData(const std::string& body) {
	static const char* const kCodes[] = {
	    "Code: 6,",   "Code: 26,",  "Code: 27,",  "Code: 32,",  "Code: 38,",  "Code: 41,", "Code: 53,",
	    "Code: 69,",  "Code: 70,",  "Code: 72,",  "Code: 117,", "Code: 131,", "Code: 321,"};
	return HasErrorCode(body, kCodes);
}

size_t Collect(char* data, size_t size, size_t count, void* out) {
	static_cast<std::string*>(out)->append(data, size * count);
	return size * count;
}

}  // namespace

ClickHouseTarget::ClickHouseTarget(std::string url, std::string consumer_group, std::string target_database)
    : url_(std::move(url)), group_(std::move(consumer_group)), target_database_(std::move(target_database)) {
	if (url_.empty() || url_.back() != '/') url_ += '/';
}

ClickHouseTarget::~ClickHouseTarget() {
	if (curl_ != nullptr) curl_easy_cleanup(curl_);
}

Status ClickHouseTarget::Query(const std::string& sql, const std::string& data, std::string* result) {
	if (curl_ == nullptr) curl_ = curl_easy_init();
	if (curl_ == nullptr) return Status::Error(ErrorKind::kUnavailable, "cannot start an HTTP client");
	char* escaped = curl_easy_escape(curl_, sql.c_str(), static_cast<int>(sql.size()));
	// The statement goes in the URL when a body follows it, else as the body.
	std::string url = url_ + (data.empty() ? "" : std::string("?query=") + escaped);
	curl_free(escaped);
	const std::string& body = data.empty() ? sql : data;
	std::string response;
	curl_easy_reset(curl_);
	curl_easy_setopt(curl_, CURLOPT_URL, url.c_str());
	curl_easy_setopt(curl_, CURLOPT_POST, 1L);
	curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, body.data());
	curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
	curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, Collect);
	curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &response);
	curl_easy_setopt(curl_, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	curl_easy_setopt(curl_, CURLOPT_TIMEOUT_MS, 300000L);
	curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
	CURLcode rc = curl_easy_perform(curl_);
	if (rc != CURLE_OK) {
		connected_ = false;
		return Status::Error(ErrorKind::kUnavailable, std::string("ClickHouse at ") + url_ + ": " + curl_easy_strerror(rc));
	}
	long http = 0;
	curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &http);
	if (http != 200) {
		while (!response.empty() && (response.back() == '\n' || response.back() == ' ')) response.pop_back();
		const ErrorKind kind = TransientClickHouseError(response)   ? ErrorKind::kUnavailable
		                       : ClickHouseBlamesTheData(response) ? ErrorKind::kInvalidData
		                                                           : ErrorKind::kRefused;
		return Status::Error(kind,
		                     "ClickHouse refused " + sql.substr(0, sql.find(' ')) + ": " + response.substr(0, 2000));
	}
	if (result != nullptr) *result = std::move(response);
	return Status::Ok();
}

Status ClickHouseTarget::Connect() {
	connected_ = true;  // Query() clears it on a transport failure
	prepared_.clear();
	std::string version;
	Status st = Query("SELECT version()", "", &version);
	if (!st.ok()) {
		connected_ = false;
		return st;
	}
	while (!version.empty() && version.back() == '\n') version.pop_back();
	version_ = version;
	// Floors are appended, never replaced: a replacing engine keeps one row
	// by a single version column, and a floor's order is (timeline, commit
	// LSN, LSN). The latest is the greatest (Apply).
	for (const char* ddl : {
	         "CREATE DATABASE IF NOT EXISTS flatwal_sink",
	         "CREATE TABLE IF NOT EXISTS flatwal_sink.checkpoints (consumer_group String, topic String, "
	         "kafka_partition Int32, next_offset Int64, commit_lsn UInt64, seq UInt32, step UInt8, applied_at DateTime, "
	         "timeline UInt32) ENGINE = ReplacingMergeTree(next_offset) ORDER BY (consumer_group, topic, kafka_partition)",
	         "CREATE TABLE IF NOT EXISTS flatwal_sink.floors (database String, table String, floor_timeline UInt32, "
	         "floor_commit_lsn UInt64, floor_lsn UInt64) ENGINE = MergeTree ORDER BY (database, table)",
	         kClickHouseLedgerDdl}) {
		st = Query(ddl);
		if (!st.ok()) break;
	}
	if (st.ok()) st = MigrateStateTables();
	if (!st.ok()) connected_ = false;
	return st;
}

Status ClickHouseTarget::ColumnExists(const std::string& database, const std::string& table, const std::string& column,
                                      bool* exists) {
	std::string count;
	Status st = Query("SELECT count() FROM system.columns WHERE database = " + ClickHouseString(database) +
	                      " AND table = " + ClickHouseString(table) + " AND name = " + ClickHouseString(column) +
	                      " FORMAT TabSeparated",
	                  "", &count);
	*exists = st.ok() && count.rfind("0", 0) != 0;
	return st;
}

Status ClickHouseTarget::MigrateStateTables() {
	// Sinks before positions had a timeline: their checkpoints get 0.
	bool exists = false;
	Status st = ColumnExists("flatwal_sink", "checkpoints", "timeline", &exists);
	if (st.ok() && !exists) st = Query("ALTER TABLE flatwal_sink.checkpoints ADD COLUMN timeline UInt32");
	// ... and kept their floors in flatwal_sink.tables (one per table, by commit LSN).
	std::string old_floors;
	if (st.ok()) st = Query("EXISTS TABLE flatwal_sink.tables FORMAT TabSeparated", "", &old_floors);
	if (!st.ok() || old_floors.rfind("1", 0) != 0) return st;
	st = Query("INSERT INTO flatwal_sink.floors SELECT database, table, 0, floor_commit_lsn, floor_lsn "
	           "FROM flatwal_sink.tables FINAL");
	if (st.ok()) st = Query("DROP TABLE flatwal_sink.tables");  // copied twice after a crash here: the greatest wins
	return st;
}

Status ClickHouseTarget::LoadCheckpoints(const std::vector<TopicPartition>& partitions,
                                         std::map<TopicPartition, Checkpoint>* out) {
	std::string rows;
	Status st = Query("SELECT topic, kafka_partition, max(next_offset), argMax(commit_lsn, next_offset), "
	                  "argMax(seq, next_offset), argMax(step, next_offset), argMax(timeline, next_offset) "
	                  "FROM flatwal_sink.checkpoints WHERE "
	                  "consumer_group = " + ClickHouseString(group_) + " GROUP BY topic, kafka_partition FORMAT TabSeparated",
	                  "", &rows);
	if (!st.ok()) return st;
	std::map<TopicPartition, Checkpoint> stored;
	std::istringstream in(rows);
	for (std::string line; std::getline(in, line);) {
		std::vector<std::string> f = SplitTsvLine(line);
		if (f.size() != 7) continue;
		Checkpoint c;
		c.next_offset = std::strtoll(f[2].c_str(), nullptr, 10);
		c.applied = Position{static_cast<uint32_t>(std::strtoul(f[6].c_str(), nullptr, 10)),
		                     std::strtoull(f[3].c_str(), nullptr, 10), static_cast<uint32_t>(std::strtoul(f[4].c_str(), nullptr, 10)),
		                     static_cast<uint8_t>(std::strtoul(f[5].c_str(), nullptr, 10))};
		stored[TopicPartition{f[0], std::atoi(f[1].c_str())}] = c;
	}
	for (const TopicPartition& tp : partitions) {
		auto it = stored.find(tp);
		(*out)[tp] = it != stored.end() ? it->second : Checkpoint();
	}
	return Status::Ok();
}

std::string ClickHouseTarget::Database(const std::string& source_schema) const {
	return target_database_.empty() ? source_schema : target_database_;
}

std::string ClickHouseTarget::TargetName(const std::string& source_schema, const std::string& source_table) const {
	return ClickHouseIdentifier(Database(source_schema)) + "." +
	       ClickHouseIdentifier(source_table);
}

Status ClickHouseTarget::PrepareTable(const TableVersion& table, const TableCatalog&) {
	std::pair<uint32_t, uint32_t> id{table.relid, table.version};
	if (table.version != 0 && prepared_.count(id)) return Status::Ok();
	const std::string target = TargetName(table.schema, table.table);
	Status st = Query("CREATE DATABASE IF NOT EXISTS " + ClickHouseIdentifier(Database(table.schema)));
	if (!st.ok()) return st;
	std::string create = "CREATE TABLE IF NOT EXISTS " + target + " (";
	for (const SchemaColumn& column : table.columns)
		create += ClickHouseIdentifier(column.name) + " " +
		          (column.key ? ColumnType(column) : "Nullable(" + ColumnType(column) + ")") + ", ";
	create += "_commit_lsn UInt64, _seq UInt32, _lsn UInt64, _commit_time_ms Int64, _deleted UInt8, _timeline UInt32, "
	          "_owed Array(Int16), _owed_from String) "
	          "ENGINE = ReplacingMergeTree(_commit_lsn) ORDER BY (";
	for (size_t k = 0; k < table.key_columns.size(); ++k)
		create += (k ? ", " : "") + ClickHouseIdentifier(table.columns[table.key_columns[k]].name);
	create += ")";
	st = Query(create);
	if (!st.ok()) return st;
	std::string rows;
	st = Query("SELECT name, type FROM system.columns WHERE database = " + ClickHouseString(Database(table.schema)) +
	               " AND table = " + ClickHouseString(table.table) + " FORMAT TabSeparated",
	           "", &rows);
	if (!st.ok()) return st;
	std::map<std::string, std::string> existing;
	std::istringstream in(rows);
	for (std::string line; std::getline(in, line);) {
		std::vector<std::string> f = SplitTsvLine(line);
		if (f.size() == 2) existing[f[0]] = f[1];
	}
	// A table made before positions had a timeline: its rows read 0.
	if (existing.count("_timeline") == 0) {
		st = Query("ALTER TABLE " + target + " ADD COLUMN _timeline UInt32");
		if (!st.ok()) return st;
	}
	// ... or before moved rows could owe values (clickhouse_ledger.cpp): they owe none.
	for (const char* column : {"_owed Array(Int16)", "_owed_from String"}) {
		const std::string name(column, std::strchr(column, ' '));
		if (existing.count(name) == 0 && !(st = Query("ALTER TABLE " + target + " ADD COLUMN " + column)).ok()) return st;
	}
	for (const SchemaColumn& column : table.columns) {
		std::string type = ColumnType(column);
		auto it = existing.find(column.name);
		if (it == existing.end()) {
			st = Query("ALTER TABLE " + target + " ADD COLUMN " + ClickHouseIdentifier(column.name) + " Nullable(" + type + ")");
			if (!st.ok()) return st;
		} else if (it->second != type && it->second != "Nullable(" + type + ")") {
			return Status::Error(ErrorKind::kNotSupported,
			                     "column " + column.name + " of " + target + " is " + it->second + " in ClickHouse but " +
			                         type + " in schema version " + std::to_string(table.version) + " of the source",
			                     "flatwal-sink follows added columns; it does not change a column's type.",
			                     "Change the ClickHouse column yourself (ALTER TABLE … MODIFY COLUMN …); its changes are "
			                     "in the dead-letter topic until then.");
		}
	}
	prepared_.insert(id);
	return Status::Ok();
}

Status ClickHouseTarget::AppendRowJson(const ChangeSet& set, const JsonColumns& columns, const RowAction& row,
                                       const StoredRow* current, const MovedValues* credit, std::string* line) const {
	const TableVersion& table = set.table();
	const bool deleted = row.op == RowAction::Op::kDelete;
	std::string owed;  // attnums, as a JSON array's members
	line->push_back('{');
	for (size_t i = 0; i < table.columns.size(); ++i) {
		const SchemaColumn& column = table.columns[i];
		const int attnum = OwedAttnum(table, i);
		line->append(columns.names[i]);
		const ValueSpan::State state = set.span(row, i).state;
		if (state == ValueSpan::State::kValue) {
			AppendValueJson(set.value(row, i), columns.is_string[i], line);
		} else if (state == ValueSpan::State::kNull || deleted) {
			line->append("null");
		} else if (row.owes) {  // a moved row: from its move's credit, or owed until it comes
			const std::string* value = nullptr;
			if (credit != nullptr) {
				auto found = credit->values.find(attnum);
				if (found != credit->values.end()) value = &found->second;
			}
			line->append(value != nullptr ? *value : "null");
			if (credit == nullptr || credit->owed.count(attnum)) owed += (owed.empty() ? "" : ",") + std::to_string(attnum);
		} else if (current != nullptr && current->found) {  // the table's row, and its debt
			line->append(current->values[i]);
			if (std::find(current->owed.begin(), current->owed.end(), attnum) != current->owed.end())
				owed += (owed.empty() ? "" : ",") + std::to_string(attnum);
		} else {  // the caller drops the line
			return Status::Error(ErrorKind::kNotSupported,
			                     "column " + column.name + " was left unchanged (TOAST) by an update, and the table holds "
			                     "no row of this key to take it from (ClickHouse rows are written whole)",
			                     "", "Set REPLICA IDENTITY FULL on the source table, so the old row carries the value.");
		}
		line->push_back(',');
	}
	// A row that owes nothing leaves both out: ClickHouse fills in [] and ''.
	if (!owed.empty()) {
		const std::string owed_from =
		    !row.owes ? current->owed_from : credit != nullptr ? credit->owed_from : MoveName(row.owed_from);
		line->append("\"_owed\":[" + owed + "],\"_owed_from\":");
		AppendJsonString(owed_from.data(), owed_from.size(), line);
		line->push_back(',');
	}
	AppendPositionJson(row.pos, row.lsn, row.message_time_ms, deleted, line);
	return Status::Ok();
}

void ClickHouseTarget::AppendStoredRowJson(const JsonColumns& columns, const StoredRow& row, std::string* line) const {
	line->push_back('{');
	for (size_t i = 0; i < columns.names.size(); ++i) line->append(columns.names[i] + row.values[i] + ",");
	std::string owed;
	for (int a : row.owed) owed += (owed.empty() ? "" : ",") + std::to_string(a);
	line->append("\"_owed\":[" + owed + "],\"_owed_from\":");
	AppendJsonString(row.owed_from.data(), row.owed_from.size(), line);
	line->push_back(',');
	AppendPositionJson(row.pos, row.lsn, row.commit_time_ms, false, line);
}

// A key column's value of a row as a ClickHouse expression of the column's
// type (indexOf compares tuples of identical types only), from the JSON form
// the row holds: String columns store JSON strings' text and other JSON as
// its text (see AppendRowJson), UInt8 columns booleans as 0 and 1.
std::string KeyLiteral(const ChangeSet& set, const RowAction& row, size_t column) {
	const std::string_view json = set.value(row, column);
	if (set.span(row, column).state != ValueSpan::State::kValue) return "NULL";
	const std::string type = ColumnType(set.table().columns[column]);
	if (IsString(type)) {
		if (!json.empty() && json[0] == '"')
			return "visitParamExtractString(" + ClickHouseString("{\"v\":" + std::string(json) + "}") + ", 'v')";
		return ClickHouseString(std::string(json));
	}
	std::string literal = json == "true" ? "1" : json == "false" ? "0" : std::string(json);
	if (!literal.empty() && literal[0] == '"') literal = ClickHouseString(literal.substr(1, literal.size() - 2));
	return "CAST(" + literal + " AS " + type + ")";
}

namespace {
// What a stored row's query selects after its key (ParseStoredRow reads it).
std::string StoredRowColumns(const TableVersion& table) {
	std::string selected = "_deleted, _timeline, _commit_lsn, _seq, _lsn, _commit_time_ms";
	for (const SchemaColumn& column : table.columns) selected += ", " + ClickHouseIdentifier(column.name);
	return selected + ", _owed, _owed_from";
}

std::string KeyTuple(const TableVersion& table) {
	std::string key_tuple;
	for (size_t k = 0; k < table.key_columns.size(); ++k)
		key_tuple += (k ? ", " : "") + ClickHouseIdentifier(table.columns[table.key_columns[k]].name);
	return table.key_columns.size() > 1 ? "(" + key_tuple + ")" : key_tuple;
}

// The latest version of each key by position, timeline first: FINAL would
// take the greatest _commit_lsn, which until a resynchronisation ends may be
// a ghost's (a change of an old primary on an older timeline). Two rows at
// one position: the one written last (a debt paid) is the one FINAL keeps.
std::string LatestFirst(const TableVersion& table) {
	return " ORDER BY _timeline DESC, _commit_lsn DESC, _seq DESC, _deleted DESC, " + std::string(kLastWrittenFirst) +
	       " LIMIT 1 BY " + KeyTuple(table);
}
}  // namespace

bool ClickHouseTarget::ParseStoredRow(const TableVersion& table, const JsonColumns& columns,
                                      const std::vector<std::string>& f, size_t first, StoredRow* row) const {
	const size_t n = table.columns.size();
	if (f.size() != first + 6 + n + 2) return false;
	row->found = f[first] == "0";
	row->pos = Position{static_cast<uint32_t>(std::strtoul(f[first + 1].c_str(), nullptr, 10)),
	                    std::strtoull(f[first + 2].c_str(), nullptr, 10),
	                    static_cast<uint32_t>(std::strtoul(f[first + 3].c_str(), nullptr, 10))};
	row->lsn = std::strtoull(f[first + 4].c_str(), nullptr, 10);
	row->commit_time_ms = std::strtoll(f[first + 5].c_str(), nullptr, 10);
	row->values.assign(n, "null");
	for (size_t c = 0; c < n; ++c) {
		const std::string& field = f[first + 6 + c];
		if (field == "\\N") continue;
		std::string& value = row->values[c];
		value.clear();
		if (columns.is_string[c]) {
			const std::string text = TsvUnescape(field);
			AppendJsonString(text.data(), text.size(), &value);
		} else if (field == "nan" || field == "inf" || field == "-inf") {
			value = "\"" + field + "\"";
		} else {
			value = field;
		}
	}
	row->owed.clear();
	const std::string& owed = f[first + 6 + n];  // [2,5]
	for (size_t at = 1; at < owed.size();) {
		char* end = nullptr;
		const long a = std::strtol(owed.c_str() + at, &end, 10);
		if (end == owed.c_str() + at) break;
		row->owed.push_back(static_cast<int>(a));
		at = static_cast<size_t>(end - owed.c_str()) + 1;
	}
	row->owed_from = TsvUnescape(f[first + 7 + n]);
	return true;
}

Status ClickHouseTarget::ReadCurrentRows(const ChangeSet& set, const JsonColumns& columns,
                                         const std::vector<const RowAction*>& rows, std::vector<StoredRow>* current) {
	current->assign(rows.size(), StoredRow());
	const TableVersion& table = set.table();
	const auto& keys = table.key_columns;
	constexpr size_t kKeysPerQuery = 1000;  // a query's text stays far below ClickHouse's max_query_size
	// One literal per distinct key, whose row goes to every row of it.
	std::vector<std::string> literals;
	std::vector<std::vector<size_t>> rows_of;
	std::unordered_map<std::string, size_t> literal_index;
	for (size_t i = 0; i < rows.size(); ++i) {
		std::string literal;
		for (size_t k = 0; k < keys.size(); ++k) literal += (k ? ", " : "") + KeyLiteral(set, *rows[i], keys[k]);
		if (keys.size() > 1) literal = "(" + literal + ")";
		auto [it, added] = literal_index.try_emplace(literal, literals.size());
		if (added) {
			literals.push_back(literal);
			rows_of.emplace_back();
		}
		rows_of[it->second].push_back(i);
	}
	const std::string key_tuple = KeyTuple(table);
	for (size_t first = 0; first < literals.size(); first += kKeysPerQuery) {
		const size_t count = std::min(kKeysPerQuery, literals.size() - first);
		std::string list;
		for (size_t i = 0; i < count; ++i) list += (i ? ", " : "") + literals[first + i];
		std::string result;
		Status st = Query("SELECT indexOf([" + list + "], " + key_tuple + "), " + StoredRowColumns(table) + " FROM " +
		                      TargetName(table.schema, table.table) + " WHERE " + key_tuple + " IN (" + list + ")" +
		                      LatestFirst(table) + " FORMAT TabSeparated",
		                  "", &result);
		if (!st.ok()) return st;
		std::istringstream in(result);
		for (std::string line; std::getline(in, line);) {
			const std::vector<std::string> f = SplitTsvLine(line);
			StoredRow row;
			const size_t ordinal = f.empty() ? 0 : std::strtoul(f[0].c_str(), nullptr, 10);
			if (ordinal == 0 || ordinal > count || !ParseStoredRow(table, columns, f, 1, &row)) continue;  // not ours
			for (size_t i : rows_of[first + ordinal - 1]) (*current)[i] = row;
		}
	}
	return Status::Ok();
}

Status ClickHouseTarget::ReadDebtors(const TableVersion& table, const JsonColumns& columns,
                                     const std::set<std::string>& moves, std::vector<StoredRow>* debtors) {
	std::string list;
	for (const std::string& move : moves) list += (list.empty() ? "" : ", ") + ClickHouseString(move);
	const std::string target = TargetName(table.schema, table.table);
	const std::string key_tuple = KeyTuple(table);
	std::string result;
	// Every key that ever owed from them, then its latest row: only a live
	// row that still owes from them is a debtor now.
	Status st = Query("SELECT " + StoredRowColumns(table) + " FROM " + target + " WHERE " + key_tuple + " IN (SELECT " +
	                      key_tuple + " FROM " + target + " WHERE _owed_from IN (" + list + "))" + LatestFirst(table) +
	                      " FORMAT TabSeparated",
	                  "", &result);
	if (!st.ok()) return st;
	std::istringstream in(result);
	for (std::string line; std::getline(in, line);) {
		StoredRow row;
		if (ParseStoredRow(table, columns, SplitTsvLine(line), 0, &row) && row.found && moves.count(row.owed_from))
			debtors->push_back(std::move(row));
	}
	return Status::Ok();
}

Status ClickHouseTarget::Insert(const TableVersion& table, const std::string& data) {
	std::string columns;
	for (const SchemaColumn& column : table.columns) columns += ClickHouseIdentifier(column.name) + ", ";
	return Query("INSERT INTO " + TargetName(table.schema, table.table) + " (" + columns +
	                 "_owed, _owed_from, _timeline, _commit_lsn, _seq, _lsn, _commit_time_ms, _deleted) FORMAT JSONEachRow",
	             data);
}

Status ClickHouseTarget::Apply(const ChangeSet& set, std::vector<RejectedRow>* rejected, uint64_t* applied,
                               uint64_t* skipped) {
	const TableVersion& table = set.table();
	std::string floor_row;
	Status st = Query("SELECT floor_timeline, floor_commit_lsn, floor_lsn FROM flatwal_sink.floors WHERE database = " +
	                      ClickHouseString(Database(table.schema)) + " AND table = " + ClickHouseString(table.table) +
	                      " ORDER BY floor_timeline DESC, floor_commit_lsn DESC, floor_lsn DESC LIMIT 1 FORMAT TabSeparated",
	                  "", &floor_row);
	if (!st.ok()) return st;
	std::vector<std::string> f = SplitTsvLine(floor_row.substr(0, floor_row.find('\n')));
	Floor floor;
	if (f.size() == 3)
		floor = Floor{static_cast<uint32_t>(std::strtoul(f[0].c_str(), nullptr, 10)), std::strtoull(f[1].c_str(), nullptr, 10),
		              std::strtoull(f[2].c_str(), nullptr, 10)};
	JsonColumns columns;
	for (const SchemaColumn& column : table.columns) {
		std::string name;
		AppendJsonString(column.name.data(), column.name.size(), &name);
		columns.names.push_back(name + ":");
		columns.is_string.push_back(IsString(ColumnType(column)));
	}
	// Rows of an older timeline past a newer one's start never happened on the
	// new primary (ghosts): skipped like rows behind the floor. Before rows go
	// in below what their timeline had, the ghosts above them are deleted.
	TimelineStarts* known = nullptr;
	if (!(st = TimelineStartsOf(table, &known)).ok()) return st;
	TimelineStarts with_set = *known;
	for (const RowAction& row : set.rows())
		if (!floor.Above(row.pos, row.lsn)) with_set.Learn(row.pos.timeline, row.pos.commit_lsn);
	auto skipped_row = [&](const RowAction& row) { return floor.Above(row.pos, row.lsn) || with_set.Ghost(row.pos); };
	TimelineStarts lowest;  // of the rows that go in
	for (const RowAction& row : set.rows())
		if (!skipped_row(row)) lowest.Learn(row.pos.timeline, row.pos.commit_lsn);
	for (const auto& [timeline, lsn] : lowest.starts()) {
		const bool older_timelines = timeline > 1;  // 0: not known, 1: the first
		if (older_timelines && known->Lowers(timeline, lsn) && !(st = DeleteGhosts(table, timeline, lsn)).ok()) return st;
		known->Learn(timeline, lsn);
	}
	// Key moves that left values unchanged go through the ledger first
	// (clickhouse_ledger.cpp): their credits read the old rows as they were
	// before this set and pay the rows that owe them.
	std::vector<const RowAction*> credits, receipts, owing, plain;
	for (const RowAction& entry : set.ledger()) {
		if (skipped_row(entry)) continue;
		(entry.op == RowAction::Op::kCredit ? credits : receipts).push_back(&entry);
	}
	for (const RowAction& row : set.rows()) {
		if (skipped_row(row) || row.complete || row.op == RowAction::Op::kDelete) continue;
		(row.owes ? owing : plain).push_back(&row);
	}
	std::map<std::string, MovedValues> available;  // by move: the credits the set's moved rows take
	if (!credits.empty() || !owing.empty())
		st = SettleCredits(set, columns, credits, receipts, owing, rejected, &available);
	if (!st.ok()) return st;
	// Updates that left values unchanged (TOAST) and that no earlier change of
	// the batch completed: every change of their keys before this batch is in
	// the table (and any debt paid above), so its current row holds those
	// values, whatever the batch boundaries were. Read once per batch (in
	// chunks of keys).
	std::vector<StoredRow> current;
	st = ReadCurrentRows(set, columns, plain, &current);
	if (!st.ok()) return st;
	std::unordered_map<const RowAction*, const StoredRow*> current_of;
	for (size_t i = 0; i < plain.size(); ++i) current_of.emplace(plain[i], &current[i]);
	// Every row rendered once into one block; `ends` finds each row's line(s) again.
	std::vector<const RowAction*> rows;
	std::vector<size_t> ends;
	std::string& data = body_;
	data.clear();
	for (const RowAction& row : set.rows()) {
		const size_t start = data.size();
		if (skipped_row(row)) {
			++*skipped;
			continue;
		}
		auto it = current_of.find(&row);
		auto credit = row.owes ? available.find(MoveName(row.owed_from)) : available.end();
		if (!(st = AppendRowJson(set, columns, row, it != current_of.end() ? it->second : nullptr,
		                         credit != available.end() ? &credit->second : nullptr, &data))
		         .ok()) {
			data.resize(start);
			rejected->push_back({row.message, st.message() + " " + st.hint()});
		} else {
			rows.push_back(&row);
			ends.push_back(data.size());
		}
	}
	if (!rows.empty()) st = Insert(table, data);
	if (!rows.empty() && st.ok()) *applied += rows.size();
	// As for PostgreSQL: only a refused value can be one row's fault.
	if (!st.ok() && st.kind() != ErrorKind::kInvalidData) return st;
	// ClickHouse refused the block's data: find the rows it refuses one by one.
	for (size_t i = 0; !st.ok() && i < rows.size(); ++i) {
		const size_t start = i == 0 ? 0 : ends[i - 1];
		Status one = Insert(table, data.substr(start, ends[i] - start));
		if (one.ok()) ++*applied;
		else if (one.kind() != ErrorKind::kInvalidData) return one;
		else rejected->push_back({rows[i]->message, one.message()});
	}
	// The receipts after the rows (a crash in between: the batch, read
	// again, writes the same rows from the same credits).
	if (receipts.empty()) return Status::Ok();
	std::set<std::string> paired;  // moves whose two copies are both in this set
	for (const RowAction* credit : credits) paired.insert(MoveName(credit->owed_from));
	return RecordReceipts(set, receipts, available, paired);
}

Status ClickHouseTarget::TimelineStartsOf(const TableVersion& table, TimelineStarts** starts) {
	const std::string target = TargetName(table.schema, table.table);
	auto it = timeline_starts_.find(target);
	if (it == timeline_starts_.end()) {
		std::string rows;
		Status st = Query("SELECT _timeline, min(_commit_lsn) FROM " + target + " GROUP BY _timeline FORMAT TabSeparated",
		                  "", &rows);
		if (!st.ok()) return st;
		TimelineStarts loaded;
		std::istringstream in(rows);
		for (std::string line; std::getline(in, line);) {
			const std::vector<std::string> f = SplitTsvLine(line);
			if (f.size() == 2)
				loaded.Learn(static_cast<uint32_t>(std::strtoul(f[0].c_str(), nullptr, 10)), std::strtoull(f[1].c_str(), nullptr, 10));
		}
		it = timeline_starts_.emplace(target, loaded).first;
	}
	*starts = &it->second;
	return Status::Ok();
}

Status ClickHouseTarget::DeleteGhosts(const TableVersion& table, uint32_t timeline, uint64_t from_lsn) {
	const std::string target = TargetName(table.schema, table.table);
	const std::string ghosts =
	    " WHERE _timeline BETWEEN 1 AND " + std::to_string(timeline - 1) + " AND _commit_lsn >= " + std::to_string(from_lsn);
	std::string count;
	Status st = Query("SELECT count() FROM " + target + ghosts + " FORMAT TabSeparated", "", &count);
	if (!st.ok() || std::strtoull(count.c_str(), nullptr, 10) == 0) return st;
	Log(LogLevel::kInfo, "deleting rows of an older timeline the new primary never had (ghosts)",
	    {{"table", target}, {"row_versions", count.substr(0, count.find('\n'))}, {"timeline", std::to_string(timeline)}});
	if (!(st = Query("ALTER TABLE " + target + " DELETE" + ghosts)).ok()) return st;
	// A mutation runs in the background; the rows that follow must not meet a ghost in a merge.
	const std::string pending = "SELECT count() FROM system.mutations WHERE database = " +
	                            ClickHouseString(Database(table.schema)) + " AND table = " + ClickHouseString(table.table) +
	                            " AND is_done = 0 FORMAT TabSeparated";
	for (int i = 0; i < 600; ++i) {
		if (!(st = Query(pending, "", &count)).ok()) return st;
		if (std::strtoull(count.c_str(), nullptr, 10) == 0) return Status::Ok();
		std::this_thread::sleep_for(std::chrono::milliseconds(100));
	}
	return Status::Error(ErrorKind::kUnavailable, "ClickHouse did not finish deleting the ghost rows of " + target + " in 60 s",
	                     "", "The batch is read again; see system.mutations for what holds the mutation up.");
}

Status ClickHouseTarget::DropBefore(const std::string& source_schema, const std::string& source_table, const Floor& floor) {
	const std::string database = Database(source_schema);
	const std::string timeline = std::to_string(floor.timeline), commit_lsn = std::to_string(floor.commit_lsn),
	                  lsn = std::to_string(floor.lsn);
	Status st = Query("INSERT INTO flatwal_sink.floors (database, table, floor_timeline, floor_commit_lsn, floor_lsn) VALUES (" +
	                  ClickHouseString(database) + ", " + ClickHouseString(source_table) + ", " + timeline + ", " +
	                  commit_lsn + ", " + lsn + ")");
	if (!st.ok()) return st;
	std::string exists;
	st = Query("EXISTS TABLE " + TargetName(source_schema, source_table) + " FORMAT TabSeparated", "", &exists);
	if (!st.ok() || exists.rfind("1", 0) != 0) return st;
	// A mutation: it rewrites the parts holding older rows, in the background.
	// Rows of an older timeline go too: after a failover, the old primary's
	// changes the new one never had (ghosts) are not read again.
	return Query("ALTER TABLE " + TargetName(source_schema, source_table) + " DELETE WHERE _timeline < " + timeline +
	             " OR (_timeline = " + timeline + " AND (_commit_lsn < " + commit_lsn + " OR (_commit_lsn = " + commit_lsn +
	             " AND _lsn < " + lsn + ")))");
}

Status ClickHouseTarget::StoreCheckpoint(const TopicPartition& tp, const Checkpoint&, const Checkpoint& next,
                                         bool* conflict) {
	*conflict = false;
	checkpoint_rows_ += (checkpoint_rows_.empty() ? "(" : ", (") + ClickHouseString(group_) + ", " +
	                    ClickHouseString(tp.topic) + ", " + std::to_string(tp.partition) + ", " +
	                    std::to_string(next.next_offset) + ", " + std::to_string(next.applied.commit_lsn) + ", " +
	                    std::to_string(next.applied.seq) + ", " + std::to_string(next.applied.step) + ", now(), " +
	                    std::to_string(next.applied.timeline) + ")";
	return Status::Ok();
}

Status ClickHouseTarget::Commit() {
	Status st = checkpoint_rows_.empty() ? Status::Ok()
	                                     : Query("INSERT INTO flatwal_sink.checkpoints (consumer_group, topic, "
	                                             "kafka_partition, next_offset, commit_lsn, seq, step, applied_at, timeline) "
	                                             "VALUES " + checkpoint_rows_);
	checkpoint_rows_.clear();
	in_batch_ = false;
	return st;
}

}  // namespace flatwal
