// pg_target.cpp — see pg_target.h.
#include "pg_target.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <optional>

#include "column_plan.h"
#include "log.h"
#include "pg_ledger.h"
#include "lsn.h"
#include "number_text.h"

namespace flatwal {
namespace {

// PostgreSQL's first OID for user objects: types below it exist in every database.
constexpr uint32_t kFirstNormalObjectId = 16384;

constexpr char kStateSchema[] = R"sql(
CREATE SCHEMA IF NOT EXISTS flatwal_sink;
CREATE TABLE IF NOT EXISTS flatwal_sink.checkpoints (
    consumer_group text NOT NULL,
    topic text NOT NULL,
    kafka_partition integer NOT NULL,
    next_offset bigint NOT NULL,
    commit_lsn pg_lsn NOT NULL,
    seq bigint NOT NULL,
    step smallint NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    timeline bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (consumer_group, topic, kafka_partition));
ALTER TABLE flatwal_sink.checkpoints ADD COLUMN IF NOT EXISTS timeline bigint NOT NULL DEFAULT 0;
COMMENT ON TABLE flatwal_sink.checkpoints IS
    'flatwal-sink: per Kafka partition, the next offset to read and the last applied change (timeline, commit_lsn, seq), stored with the rows';
CREATE TABLE IF NOT EXISTS flatwal_sink.tables (
    target_schema text NOT NULL,
    target_table text NOT NULL,
    floor_commit_lsn pg_lsn NOT NULL,
    floor_lsn pg_lsn NOT NULL,
    floor_timeline bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (target_schema, target_table));
ALTER TABLE flatwal_sink.tables ADD COLUMN IF NOT EXISTS floor_timeline bigint NOT NULL DEFAULT 0;
COMMENT ON TABLE flatwal_sink.tables IS
    'flatwal-sink: per target table, the position of its latest truncate; changes before it are not applied';
)sql";

// Serializes DDL of concurrent sinks (two may meet the same new table).
constexpr char kDdlLock[] = "SELECT pg_advisory_xact_lock(hashtext('flatwal_sink ddl'))";

std::string Lsn(uint64_t lsn) { return "'" + LsnText(lsn) + "'::pg_lsn"; }

// COPY text format: backslash, tab, newline and carriage return escaped;
// the runs between them appended whole.
void AppendCopyText(std::string_view text, std::string* out) {
	size_t run = 0;
	for (size_t i = 0; i < text.size(); ++i) {
		const char c = text[i];
		const char* escaped = c == '\\' ? "\\\\" : c == '\t' ? "\\t" : c == '\n' ? "\\n" : c == '\r' ? "\\r" : nullptr;
		if (escaped == nullptr) continue;
		out->append(text.data() + run, i - run);
		out->append(escaped, 2);
		run = i + 1;
	}
	out->append(text.data() + run, text.size() - run);
}

// The staging table of a table version in this session.
std::string StageName(const TableVersion& table) {
	return "pg_temp.flatwal_stage_" + std::to_string(table.relid) + "_" + std::to_string(table.version);
}

uint64_t ParseUnsigned(const char* text) { return std::strtoull(text, nullptr, 10); }

// A staged row's op: 'u' an upsert, 'o' one that owes values, 'd' a delete,
// 'c' and 'r' a ledger's credit and receipt (pg_ledger.h).
char StagedOp(const RowAction& row) {
	switch (row.op) {
		case RowAction::Op::kDelete: return 'd';
		case RowAction::Op::kCredit: return 'c';
		case RowAction::Op::kReceipt: return 'r';
		default: return row.owes ? 'o' : 'u';
	}
}

// A row's position as a row value, which PostgreSQL compares element by
// element: the timeline first (see position.h), then commit LSN and ordinal.
std::string PositionOf(const std::string& alias) {
	return "(" + alias + "._flatwal_timeline, " + alias + "._flatwal_commit_lsn, " + alias + "._flatwal_seq)";
}

}  // namespace

std::string PgTarget::TargetSchema(const std::string& source_schema) const {
	return target_schema_.empty() ? source_schema : target_schema_;
}

std::string PgTarget::TargetName(const std::string& source_schema, const std::string& source_table) const {
	return session_.QuoteIdentifier(TargetSchema(source_schema)) + "." +
	       session_.QuoteIdentifier(source_table);
}

Status PgTarget::Connect() {
	in_transaction_ = false;
	prepared_.clear();
	prepared_in_transaction_.clear();
	Status st = session_.Connect(conninfo_, PgSession::Kind::kSql, "flatwal-sink target");
	if (!st.ok()) return st;
	// "already exists, skipping" notices are noise in the log.
	st = Exec("SET client_min_messages = warning");
	if (st.ok()) st = Exec(std::string("BEGIN; ") + kDdlLock + ";" + kStateSchema + kLedgerDdl + "COMMIT;");
	if (!st.ok()) return st;
	// Each table version stages its rows in a table of its own (PrepareTableDdl).
	if (history_)
		st = Exec("CREATE TEMP TABLE IF NOT EXISTS flatwal_history_stage (timeline bigint, commit_lsn pg_lsn, seq bigint, lsn pg_lsn, "
		          "xid bigint, op text, before jsonb, after jsonb, message_time_ms bigint) ON COMMIT DELETE ROWS");
	return st;
}

Status PgTarget::LoadCheckpoints(const std::vector<TopicPartition>& partitions, std::map<TopicPartition, Checkpoint>* out) {
	PgResult r;
	Status st = Exec("SELECT topic, kafka_partition, next_offset, timeline, (commit_lsn - '0/0')::text, seq, step "
	                 "FROM flatwal_sink.checkpoints WHERE consumer_group = " + session_.QuoteLiteral(group_), &r);
	if (!st.ok()) return st;
	std::map<TopicPartition, Checkpoint> stored;
	for (int i = 0; i < r.rows(); ++i) {
		Checkpoint c;
		c.next_offset = std::strtoll(r.text(i, 2), nullptr, 10);
		c.applied = Position{static_cast<uint32_t>(ParseUnsigned(r.text(i, 3))), ParseUnsigned(r.text(i, 4)),
		                     static_cast<uint32_t>(ParseUnsigned(r.text(i, 5))), static_cast<uint8_t>(ParseUnsigned(r.text(i, 6)))};
		stored[TopicPartition{r.text(i, 0), std::atoi(r.text(i, 1))}] = c;
	}
	for (const TopicPartition& tp : partitions) {
		auto it = stored.find(tp);
		(*out)[tp] = it != stored.end() ? it->second : Checkpoint();
	}
	return Status::Ok();
}

Status PgTarget::Begin() {
	Status st = Exec("BEGIN");
	in_transaction_ = st.ok();
	return st;
}

Status PgTarget::Commit() {
	Status st = StoreCheckpoints();
	if (!st.ok()) {
		Rollback();
		return st;
	}
	st = Exec("COMMIT");
	in_transaction_ = false;
	if (st.ok()) prepared_.insert(prepared_in_transaction_.begin(), prepared_in_transaction_.end());
	prepared_in_transaction_.clear();
	return st;
}

void PgTarget::Rollback() {
	checkpoint_rows_.clear();
	checkpoint_count_ = 0;
	if (in_transaction_ && session_.connected()) (void)Exec("ROLLBACK");  // a failure leaves the transaction to die with the connection
	in_transaction_ = false;
	prepared_in_transaction_.clear();
	// A batch fails for a reason: the target tables are looked at again (one
	// dropped or altered meanwhile is created or checked anew).
	prepared_.clear();
}

Status PgTarget::ColumnType(const SchemaColumn& column, std::string* type) {
	// A built-in type is named by the target's own format_type(), never by
	// the frame's text: a frame from Kafka could name anything there, and the
	// name goes into DDL. A domain over a built-in type becomes that type;
	// enums, composites and other types of the source database do not exist
	// here, so their text form is kept.
	uint32_t oid = column.type_oid;
	if (oid >= kFirstNormalObjectId) oid = column.base_type_oid;
	if (oid == 0 || oid >= kFirstNormalObjectId) {
		*type = "text";
		return Status::Ok();
	}
	const std::pair<uint32_t, int32_t> id(oid, column.typmod);
	auto known = type_names_.find(id);
	if (known == type_names_.end()) {
		PgResult r;
		Status st = Exec("SELECT format_type(" + std::to_string(oid) + ", " + std::to_string(column.typmod) + ")", &r);
		if (!st.ok()) return st;
		if (r.rows() != 1 || r.is_null(0, 0) || std::string(r.text(0, 0)) == "???")
			return Status::Error(ErrorKind::kNotSupported,
			                     "column " + column.name + " has type OID " + std::to_string(oid) +
			                         ", which is no type of the target",
			                     "", "The frame names a type this PostgreSQL does not have; see the dead-letter topic.");
		known = type_names_.emplace(id, r.text(0, 0)).first;
	}
	*type = known->second;
	return Status::Ok();
}

// A target column: the name it is written under, its type, and for a column
// added at the source with a default (ADD COLUMN … DEFAULT, no WAL for the
// rows already there) that value as its default, kept: the rows the target
// holds from before, and rows of older versions applied later, hold it as the
// source's rows do; changes of newer versions always name the column.
std::string PgTarget::ColumnDefinition(const SchemaColumn& column, const std::string& type) const {
	std::string definition = session_.QuoteIdentifier(column.latest_name) + " " + type;
	if (column.has_missing) definition += " DEFAULT " + session_.QuoteLiteral(column.missing_text) + "::" + type;
	return definition;
}

// A prepared version is known by its id and the names its columns are
// written under: a newer version's rename changes them, and it is prepared again.
static std::string PreparedKey(const TableVersion& table) {
	std::string key = std::to_string(table.relid) + ':' + std::to_string(table.version);
	for (const SchemaColumn& c : table.columns) key += '\0' + c.latest_name;
	return key;
}

Status PgTarget::PrepareTable(const TableVersion& table, const TableCatalog& catalog) {
	const std::string id = PreparedKey(table);
	if (table.version != 0 && (prepared_.count(id) || prepared_in_transaction_.count(id))) return Status::Ok();
	std::vector<std::string> types(table.columns.size());
	for (size_t i = 0; i < table.columns.size(); ++i) {
		Status st = ColumnType(table.columns[i], &types[i]);
		if (!st.ok()) return st;
	}
	// In a savepoint: a table the target cannot take must not abort the batch.
	Status st = Exec("SAVEPOINT flatwal_ddl");
	if (st.ok()) st = PrepareTableDdl(table, id, types, catalog);
	if (st.ok()) return Exec("RELEASE SAVEPOINT flatwal_ddl");
	if (session_.connected()) (void)Exec("ROLLBACK TO SAVEPOINT flatwal_ddl");  // failing, the batch fails at its next statement
	return st;
}

Status PgTarget::PrepareTableDdl(const TableVersion& table, const std::string& id, std::vector<std::string> types,
                                 const TableCatalog& catalog) {
	const std::string target = TargetName(table.schema, table.table);
	std::string create = std::string(kDdlLock) + "; CREATE SCHEMA IF NOT EXISTS " +
	                     session_.QuoteIdentifier(TargetSchema(table.schema)) +
	                     "; CREATE TABLE IF NOT EXISTS " + target + " (";
	for (size_t i = 0; i < table.columns.size(); ++i) create += ColumnDefinition(table.columns[i], types[i]) + ", ";
	create += "_flatwal_commit_lsn pg_lsn NOT NULL, _flatwal_seq bigint NOT NULL, _flatwal_lsn pg_lsn NOT NULL, "
	          "_flatwal_timeline bigint NOT NULL, _flatwal_owed smallint[], _flatwal_owed_from text, PRIMARY KEY (";
	for (size_t k = 0; k < table.key_columns.size(); ++k)
		create += (k ? ", " : "") + session_.QuoteIdentifier(table.columns[table.key_columns[k]].latest_name);
	create += "))";
	Status st = Exec(create);
	if (!st.ok()) return st;
	// The target's columns, each with the source attnum its comment marks
	// (column_plan.h), and whether this session may mark them (owns the table).
	PgResult r;
	st = Exec("SELECT a.attname, format_type(a.atttypid, a.atttypmod), coalesce(col_description(a.attrelid, a.attnum), ''), "
	          "pg_has_role(c.relowner, 'USAGE') FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
	          "WHERE a.attrelid = " + session_.QuoteLiteral(target) + "::regclass AND a.attnum > 0 AND NOT a.attisdropped",
	          &r);
	if (!st.ok()) return st;
	std::vector<TargetColumn> existing;
	bool has_timeline = false, has_owed = false, has_owed_from = false;
	for (int i = 0; i < r.rows(); ++i) {
		existing.push_back({r.text(i, 0), r.text(i, 1), AttnumOfMark(r.text(i, 2))});
		has_timeline = has_timeline || existing.back().name == "_flatwal_timeline";
		has_owed = has_owed || existing.back().name == "_flatwal_owed";
		has_owed_from = has_owed_from || existing.back().name == "_flatwal_owed_from";
	}
	const bool markable = r.rows() > 0 && std::string(r.text(0, 3)) == "t";
	// A table made before positions had a timeline: its rows get 0, below
	// every real timeline (the default goes again; they keep their 0).
	if (!has_timeline) {
		st = Exec("ALTER TABLE " + target + " ADD COLUMN _flatwal_timeline bigint NOT NULL DEFAULT 0; ALTER TABLE " + target +
		          " ALTER COLUMN _flatwal_timeline DROP DEFAULT");
		if (!st.ok()) return st;
	}
	if (!has_owed) {  // a table made before rows could owe values (pg_ledger.h)
		st = Exec("ALTER TABLE " + target + " ADD COLUMN _flatwal_owed smallint[]");
		if (!st.ok()) return st;
	}
	if (!has_owed_from) {  // ... or before they said from which move
		st = Exec("ALTER TABLE " + target + " ADD COLUMN _flatwal_owed_from text");
		if (!st.ok()) return st;
	}
	// The rows a key move's credit pays are found by this index; a role that
	// does not own the table cannot make it (they are then found by a scan).
	if (markable) st = Exec(PgLedger(session_, table, types, target, StageName(table), TargetSchema(table.schema)).IndexDdl());
	if (!st.ok()) return st;
	// The target types each column has in later versions: a target ahead of
	// this version keeps them (partitions are read in no order).
	std::vector<std::vector<std::string>> later_types(table.columns.size());
	for (size_t i = 0; i < table.columns.size(); ++i)
		for (const SchemaColumn* later : catalog.LaterColumns(table.relid, table.version, table.columns[i].attnum)) {
			std::string type;
			if (ColumnType(*later, &type).ok()) later_types[i].push_back(type);
		}
	std::vector<ColumnStep> steps;
	st = PlanColumns(table, catalog, &types, later_types, target, markable, std::move(existing), &steps);
	for (size_t s = 0; st.ok() && s < steps.size(); ++s) {
		const ColumnStep& step = steps[s];
		switch (step.kind) {
			case ColumnStep::Kind::kRename:
				st = Exec("ALTER TABLE " + target + " RENAME COLUMN " + session_.QuoteIdentifier(step.name) + " TO " +
				          session_.QuoteIdentifier(step.new_name));
				break;
			case ColumnStep::Kind::kAdd:
				// Nullable: rows written before this version have no value for it
				// (or the source's fast default, which ColumnDefinition gives them).
				st = Exec("ALTER TABLE " + target + " ADD COLUMN " +
				          ColumnDefinition(table.columns[step.column], types[step.column]));
				break;
			case ColumnStep::Kind::kMark:
				st = Exec("COMMENT ON COLUMN " + target + "." + session_.QuoteIdentifier(step.name) + " IS " +
				          session_.QuoteLiteral(kAttnumMark + std::to_string(step.attnum)));
				break;
			case ColumnStep::Kind::kRetype:
				st = Retype(target, step.name, types[step.column], table.version);
				// The table's other versions staged their values as the old type:
				// each is prepared again before it applies (partitions are read
				// in no order, so an older version's changes may still come).
				if (st.ok()) ForgetOtherVersions(table.relid, id);
				break;
		}
	}
	if (!st.ok()) return st;
	// The version's staging table: its columns typed as the target's, so
	// COPY parses each value once, by its type.
	std::string stage = "DROP TABLE IF EXISTS " + StageName(table) + "; CREATE TEMP TABLE " + StageName(table) +
	                    " (_flatwal_ord integer, _flatwal_op \"char\", _flatwal_carried boolean[], "
	                    "_flatwal_commit_lsn pg_lsn, _flatwal_seq bigint, _flatwal_lsn pg_lsn, _flatwal_timeline bigint";
	for (size_t i = 0; i < table.columns.size(); ++i) stage += ", " + session_.QuoteIdentifier(table.columns[i].latest_name) + " " + types[i];
	// The key move a row owes from, or a ledger entry's (pg_ledger.h).
	st = Exec(stage + ", _flatwal_owed_from text) ON COMMIT DELETE ROWS");
	if (!st.ok()) return st;
	if (history_) {
		// A history made before positions had a timeline keeps its key
		// (commit_lsn, seq); its rows get timeline 0 (docs/sink.md).
		st = Exec("CREATE TABLE IF NOT EXISTS " + HistoryName(table) +
		          " (commit_lsn pg_lsn NOT NULL, seq bigint NOT NULL, lsn pg_lsn NOT NULL, xid bigint NOT NULL, "
		          "op text NOT NULL, before jsonb, after jsonb, schema_version integer NOT NULL, commit_time timestamptz, "
		          "applied_at timestamptz NOT NULL DEFAULT clock_timestamp(), timeline bigint NOT NULL DEFAULT 0, "
		          "PRIMARY KEY (timeline, commit_lsn, seq)); ALTER TABLE " + HistoryName(table) +
		          " ADD COLUMN IF NOT EXISTS timeline bigint NOT NULL DEFAULT 0");
		if (!st.ok()) return st;
	}
	st = Exec("INSERT INTO flatwal_sink.tables (target_schema, target_table, floor_commit_lsn, floor_lsn, floor_timeline) "
	          "VALUES (" + session_.QuoteLiteral(TargetSchema(table.schema)) + ", " +
	          session_.QuoteLiteral(table.table) + ", '0/0', '0/0', 0) ON CONFLICT DO NOTHING");
	if (st.ok()) {
		prepared_in_transaction_.insert(id);
		column_types_[id] = types;
	}
	return st;
}

void PgTarget::ForgetOtherVersions(uint32_t relid, const std::string& keep) {
	const std::string prefix = std::to_string(relid) + ':';
	for (std::set<std::string>* prepared : {&prepared_, &prepared_in_transaction_})
		for (auto it = prepared->lower_bound(prefix); it != prepared->end() && it->compare(0, prefix.size(), prefix) == 0;)
			it = *it == keep ? std::next(it) : prepared->erase(it);
}

Status PgTarget::Retype(const std::string& target, const std::string& column, const std::string& type,
                        uint32_t version) {
	const std::string quoted = session_.QuoteIdentifier(column);
	// USING: the cast the source's ALTER COLUMN … TYPE made without one
	// (assignment casts) or with its own expression, which the target cannot know.
	Status st = Exec("ALTER TABLE " + target + " ALTER COLUMN " + quoted + " TYPE " + type + " USING " + quoted + "::" + type);
	if (st.ok()) {
		Log(LogLevel::kInfo, "target column retyped as the source's",
		    {{"table", target}, {"column", column}, {"type", type}, {"schema_version", std::to_string(version)}});
		return st;
	}
	return Status::Error(ErrorKind::kNotSupported,
	                     "cannot change column " + column + " of " + target + " to " + type +
	                         " as schema version " + std::to_string(version) + " of the source did",
	                     st.message() + (st.detail().empty() ? "" : ": " + st.detail()),
	                     "Change the target column's type yourself (ALTER TABLE … ALTER COLUMN … TYPE …), "
	                     "converting its values; the table's changes are in the dead-letter topic until then.");
}

Status PgTarget::Stage(const ChangeSet& set, const std::vector<const RowAction*>& rows) {
	const std::string stage = StageName(set.table());
	Status st = Exec("DELETE FROM " + stage);
	if (!st.ok()) return st;
	const size_t columns = set.table().columns.size();
	std::string& data = copy_data_;
	data.clear();
	for (size_t i = 0; i < rows.size(); ++i) {
		const RowAction& row = *rows[i];
		AppendDecimal(i, &data);
		data += '\t';
		data += StagedOp(row);
		data += '\t';
		if (row.complete) {
			data += "\\N";
		} else {
			data += '{';
			for (size_t c = 0; c < columns; ++c) {
				if (c) data += ',';
				data += set.span(row, c).state == ValueSpan::State::kNotCarried ? 'f' : 't';
			}
			data += '}';
		}
		data += '\t';
		AppendLsn(row.pos.commit_lsn, &data);
		data += '\t';
		AppendDecimal(row.pos.seq, &data);
		data += '\t';
		AppendLsn(row.lsn, &data);
		data += '\t';
		AppendDecimal(row.pos.timeline, &data);
		for (size_t c = 0; c < columns; ++c) {
			data += '\t';
			if (set.span(row, c).state == ValueSpan::State::kValue) AppendCopyText(set.value(row, c), &data);
			else data += "\\N";
		}
		data += '\t';
		if (row.owes || row.op == RowAction::Op::kCredit || row.op == RowAction::Op::kReceipt) data += MoveName(row.owed_from);
		else data += "\\N";
		data += '\n';
	}
	return session_.CopyIn("COPY " + stage + " FROM STDIN", data);
}

Status PgTarget::ApplyStaged(const ChangeSet& set, const std::vector<const RowAction*>& rows, const std::string& target,
                             std::vector<size_t>* missing) {
	const TableVersion& table = set.table();
	size_t deletes = 0, complete = 0, incomplete = 0, owing = 0, credits = 0, receipts = 0;
	for (const RowAction* row : rows) {
		switch (StagedOp(*row)) {
			case 'd': ++deletes; break;
			case 'c': ++credits; break;
			case 'r': ++receipts; break;
			case 'o': ++owing; break;
			default: ++(row->complete ? complete : incomplete);
		}
	}
	std::string keys_match, columns, from_stage, set_all, set_carried, key_list, carried_attnums;
	for (size_t k = 0; k < table.key_columns.size(); ++k) {
		std::string name = session_.QuoteIdentifier(table.columns[table.key_columns[k]].latest_name);
		keys_match += (k ? " AND t." : "t.") + name + " = s." + name;
		key_list += (k ? ", " : "") + name;
	}
	for (size_t i = 0; i < table.columns.size(); ++i) {
		std::string name = session_.QuoteIdentifier(table.columns[i].latest_name);
		const std::string carried = "s._flatwal_carried[" + std::to_string(i + 1) + "]";
		columns += name + ", ";
		from_stage += "s." + name + ", ";
		set_all += name + " = EXCLUDED." + name + ", ";
		set_carried += name + " = CASE WHEN " + carried + " THEN s." + name + " ELSE t." + name + " END, ";
		carried_attnums += std::string(i ? ", " : "") + "CASE WHEN " + carried + " THEN " +
		                   std::to_string(OwedAttnum(table, i)) + "::smallint END";
	}
	const std::string stage = " FROM " + StageName(table) + " s ";
	const std::string newer = PositionOf("t") + " < " + PositionOf("s");
	const std::string position_values = "s._flatwal_commit_lsn, s._flatwal_seq, s._flatwal_lsn, s._flatwal_timeline";
	// The ledger's statements, made only for a set with key moves in it.
	std::optional<PgLedger> ledger;
	if (credits + receipts + owing > 0) {
		const auto types = column_types_.find(PreparedKey(table));
		if (types == column_types_.end())  // PrepareTable comes first, always: a bug if not
			return Status::Error(ErrorKind::kInternal, "table " + target + " applied before it was prepared");
		ledger.emplace(session_, table, types->second, target, StageName(table), TargetSchema(table.schema));
	}
	Status st = Status::Ok();
	PgResult r;
	// Key moves first: a credit is the old row as it stands before this
	// set's changes of it (the set's own earlier values are staged with it).
	if (credits > 0) {
		st = Exec(ledger->CreditsWithoutOldRow(), &r);
		for (int i = 0; st.ok() && i < r.rows(); ++i) missing->push_back(static_cast<size_t>(std::atoi(r.text(i, 0))));
		if (st.ok()) st = Exec(ledger->InsertCredits());
		for (int round = 0; st.ok(); ++round) {  // a chain of moves: each round settles one link
			st = Exec(ledger->ResolveCredits(), &r);
			if (st.ok() && r.rows() == 0) break;
			if (st.ok() && round == 1000)
				st = Status::Error(ErrorKind::kInternal, "the key moves' credits of " + target + " do not settle");
		}
		if (st.ok()) st = Exec(ledger->PayRows());
		if (st.ok()) st = Exec(ledger->DropPaid());
	}
	if (st.ok() && deletes > 0)
		st = Exec("DELETE FROM " + target + " t USING " + StageName(table) + " s WHERE s._flatwal_op = 'd' AND " +
		          keys_match + " AND " + newer);
	if (st.ok() && complete > 0)
		st = Exec("INSERT INTO " + target + " AS t (" + columns + "_flatwal_commit_lsn, _flatwal_seq, _flatwal_lsn, "
		          "_flatwal_timeline) SELECT " + from_stage + position_values + stage +
		          "WHERE s._flatwal_op = 'u' AND s._flatwal_carried IS NULL ON CONFLICT (" + key_list + ") DO UPDATE SET " +
		          set_all + "_flatwal_commit_lsn = EXCLUDED._flatwal_commit_lsn, _flatwal_seq = EXCLUDED._flatwal_seq, "
		          "_flatwal_lsn = EXCLUDED._flatwal_lsn, _flatwal_timeline = EXCLUDED._flatwal_timeline, "
		          "_flatwal_owed = NULL, _flatwal_owed_from = NULL WHERE " + PositionOf("t") + " < " + PositionOf("EXCLUDED"));
	// Updates that left TOAST values unchanged write what they carry, which
	// the row no longer owes.
	const std::string still_owed = "NULLIF(ARRAY(SELECT a FROM unnest(t._flatwal_owed) a WHERE a <> ALL (array_remove(ARRAY[" +
	                               carried_attnums + "], NULL))), '{}')";
	if (st.ok() && incomplete > 0)
		st = Exec("UPDATE " + target + " AS t SET " + set_carried +
		          "_flatwal_commit_lsn = s._flatwal_commit_lsn, _flatwal_seq = s._flatwal_seq, _flatwal_lsn = s._flatwal_lsn, "
		          "_flatwal_timeline = s._flatwal_timeline, _flatwal_owed = " + still_owed +
		          ", _flatwal_owed_from = CASE WHEN " + still_owed + " IS NOT NULL THEN t._flatwal_owed_from END" + stage +
		          "WHERE s._flatwal_op = 'u' AND s._flatwal_carried IS NOT NULL AND " + keys_match + " AND " + newer);
	if (st.ok() && owing > 0) st = Exec(ledger->WriteOwingRows());
	if (st.ok() && receipts > 0) st = Exec(ledger->TakeCredits());
	if (!st.ok() || incomplete == 0) return st;
	// An update with nothing to keep its values from.
	st = Exec("SELECT s._flatwal_ord" + stage + "WHERE s._flatwal_op = 'u' AND s._flatwal_carried IS NOT NULL AND NOT EXISTS "
	          "(SELECT 1 FROM " + target + " t WHERE " + keys_match + ")",
	          &r);
	for (int i = 0; st.ok() && i < r.rows(); ++i) missing->push_back(static_cast<size_t>(std::atoi(r.text(i, 0))));
	return st;
}

Status PgTarget::Apply(const ChangeSet& set, std::vector<RejectedRow>* rejected, uint64_t* applied, uint64_t* skipped) {
	const TableVersion& table = set.table();
	const std::string target = TargetName(table.schema, table.table);
	// The floor, share-locked: a concurrent truncate by another sink waits for
	// this transaction, and then removes what it wrote before the truncate.
	PgResult r;
	Status st = Exec("SELECT floor_timeline, (floor_commit_lsn - '0/0')::text, (floor_lsn - '0/0')::text FROM flatwal_sink.tables "
	                 "WHERE target_schema = " + session_.QuoteLiteral(TargetSchema(table.schema)) +
	                     " AND target_table = " + session_.QuoteLiteral(table.table) + " FOR SHARE",
	                 &r);
	if (!st.ok()) return st;
	Floor floor;
	if (r.rows())
		floor = Floor{static_cast<uint32_t>(ParseUnsigned(r.text(0, 0))), ParseUnsigned(r.text(0, 1)), ParseUnsigned(r.text(0, 2))};
	// The key moves' credits, the rows, then the receipts: the order they
	// take effect in (pg_ledger.h), which the one-by-one retry below keeps.
	// Credits and receipts are copies of changes, not changes: not counted.
	std::vector<const RowAction*> rows;
	auto take = [&](const RowAction& row) {
		if (!floor.Above(row.pos, row.lsn)) rows.push_back(&row);
		else if (row.op != RowAction::Op::kCredit && row.op != RowAction::Op::kReceipt) ++*skipped;
	};
	for (const RowAction& entry : set.ledger())
		if (entry.op == RowAction::Op::kCredit) take(entry);
	for (const RowAction& row : set.rows()) take(row);
	for (const RowAction& entry : set.ledger())
		if (entry.op == RowAction::Op::kReceipt) take(entry);
	auto is_change = [&](size_t ord) {
		return ord < rows.size() && rows[ord]->op != RowAction::Op::kCredit && rows[ord]->op != RowAction::Op::kReceipt;
	};
	size_t changes = 0;
	for (size_t i = 0; i < rows.size(); ++i) changes += is_change(i);
	if (rows.empty()) return Status::Ok();
	auto reject_missing = [&](const std::vector<size_t>& missing, const std::vector<const RowAction*>& staged) {
		for (size_t ord : missing)
			if (ord < staged.size())
				rejected->push_back({staged[ord]->message,
				                     staged[ord]->op == RowAction::Op::kCredit
				                         ? "a key move left TOAST values unchanged and the target has no row of the old "
				                           "key to take them from (the new key's row keeps them owed: _flatwal_owed)"
				                         : "an update left TOAST values unchanged and the target has no row to keep them from"});
	};
	st = Exec("SAVEPOINT flatwal_table");
	std::vector<size_t> missing;
	if (st.ok()) st = Stage(set, rows);
	if (st.ok()) st = ApplyStaged(set, rows, target, &missing);
	if (st.ok()) {
		reject_missing(missing, rows);
		*applied += changes - std::count_if(missing.begin(), missing.end(), is_change);
		return Exec("RELEASE SAVEPOINT flatwal_table");
	}
	// Only an error about the data (a value the target's type refuses, a
	// constraint a row violates) can be one row's fault. Anything else, a
	// timeout, a lock, a full disk, a missing grant or table, is a condition
	// of the target: the batch is read again later, nothing dead-lettered.
	if (st.kind() != ErrorKind::kInvalidData || !session_.connected()) return st;
	// A change the target refuses: find it by applying the rows one by one.
	st = Exec("ROLLBACK TO SAVEPOINT flatwal_table");
	for (size_t i = 0; st.ok() && i < rows.size(); ++i) {
		std::vector<const RowAction*> one{rows[i]};
		std::vector<size_t> one_missing;
		st = Exec("SAVEPOINT flatwal_row");
		Status row_st = st.ok() ? Stage(set, one) : st;
		if (row_st.ok()) row_st = ApplyStaged(set, one, target, &one_missing);
		if (row_st.ok()) {
			reject_missing(one_missing, one);
			if (is_change(i)) *applied += 1 - one_missing.size();
			st = Exec("RELEASE SAVEPOINT flatwal_row");
		} else if (row_st.kind() != ErrorKind::kInvalidData || !session_.connected()) {
			return row_st;
		} else {
			rejected->push_back({rows[i]->message, row_st.message() + (row_st.detail().empty() ? "" : " " + row_st.detail())});
			st = Exec("ROLLBACK TO SAVEPOINT flatwal_row");
		}
	}
	if (st.ok()) st = Exec("RELEASE SAVEPOINT flatwal_table");
	return st;
}

std::string PgTarget::HistoryName(const TableVersion& table) const {
	return session_.QuoteIdentifier(TargetSchema(table.schema)) + "." +
	       session_.QuoteIdentifier(table.table + "_history");
}

Status PgTarget::AppendHistory(const ChangeSet& set, const std::vector<RejectedRow>& rejected) {
	if (!history_ || set.history().empty()) return Status::Ok();
	std::vector<size_t> not_applied;
	for (const RejectedRow& r : rejected) not_applied.push_back(r.message);
	std::sort(not_applied.begin(), not_applied.end());
	Status st = Exec("DELETE FROM pg_temp.flatwal_history_stage");
	if (!st.ok()) return st;
	std::string data;
	auto image = [&data](const std::string& doc) {
		if (doc.empty()) data += "\\N";
		else AppendCopyText(doc, &data);
	};
	for (const HistoryEntry& e : set.history()) {
		if (std::binary_search(not_applied.begin(), not_applied.end(), e.message)) continue;
		data += std::to_string(e.pos.timeline) + '\t';
		AppendLsn(e.pos.commit_lsn, &data);
		data += '\t' + std::to_string(e.pos.seq) + '\t';
		AppendLsn(e.lsn, &data);
		data += '\t' + std::to_string(e.xid) + '\t' + e.op + '\t';
		image(e.before);
		data += '\t';
		image(e.after);
		data += '\t' + (e.message_time_ms >= 0 ? std::to_string(e.message_time_ms) : std::string("\\N")) + '\n';
	}
	st = session_.CopyIn("COPY pg_temp.flatwal_history_stage FROM STDIN", data);
	if (!st.ok()) return st;
	return Exec("INSERT INTO " + HistoryName(set.table()) +
	            " (timeline, commit_lsn, seq, lsn, xid, op, before, after, schema_version, commit_time) "
	            "SELECT timeline, commit_lsn, seq, lsn, xid, op, before, after, " + std::to_string(set.table().version) +
	            ", to_timestamp(message_time_ms / 1000.0) FROM pg_temp.flatwal_history_stage ON CONFLICT DO NOTHING");
}

Status PgTarget::DropBefore(const std::string& source_schema, const std::string& source_table, const Floor& floor) {
	const std::string schema = TargetSchema(source_schema);
	const std::string target = TargetName(source_schema, source_table);
	// The floor first: its row lock orders this against sinks applying rows of the table.
	const std::string timeline = std::to_string(floor.timeline);
	Status st = Exec("INSERT INTO flatwal_sink.tables AS f (target_schema, target_table, floor_commit_lsn, floor_lsn, "
	                 "floor_timeline) VALUES (" + session_.QuoteLiteral(schema) + ", " + session_.QuoteLiteral(source_table) +
	                 ", " + Lsn(floor.commit_lsn) + ", " + Lsn(floor.lsn) + ", " + timeline +
	                 ") ON CONFLICT (target_schema, target_table) DO UPDATE SET floor_commit_lsn = EXCLUDED.floor_commit_lsn, "
	                 "floor_lsn = EXCLUDED.floor_lsn, floor_timeline = EXCLUDED.floor_timeline WHERE "
	                 "(f.floor_timeline, f.floor_commit_lsn, f.floor_lsn) < "
	                 "(EXCLUDED.floor_timeline, EXCLUDED.floor_commit_lsn, EXCLUDED.floor_lsn)");
	if (!st.ok()) return st;
	PgResult r;
	st = Exec("SELECT to_regclass(" + session_.QuoteLiteral(target) + ") IS NOT NULL", &r);
	if (!st.ok() || std::string(r.text(0, 0)) != "t") return st;
	st = Exec("DELETE FROM " + target + " WHERE (_flatwal_timeline, _flatwal_commit_lsn, _flatwal_lsn) < (" + timeline +
	          ", " + Lsn(floor.commit_lsn) + ", " + Lsn(floor.lsn) + ")");
	// The ledger's entries of moves in transactions before the floor: their
	// rows are gone, and their other copies will be skipped.
	if (st.ok())
		st = Exec("DELETE FROM flatwal_sink.moved_values WHERE target_schema = " + session_.QuoteLiteral(schema) +
		          " AND target_table = " + session_.QuoteLiteral(source_table) + " AND (split_part(move, ':', 1)::bigint, "
		          "split_part(move, ':', 2)::pg_lsn) < (" + timeline + ", " + Lsn(floor.commit_lsn) + ")");
	return st;
}

Status PgTarget::StoreCheckpoint(const TopicPartition& tp, const Checkpoint& expected, const Checkpoint& next, bool* conflict) {
	*conflict = false;  // found at Commit, for every partition of the batch in one statement
	checkpoint_rows_ += (checkpoint_rows_.empty() ? "(" : ", (") + session_.QuoteLiteral(tp.topic) + ", " +
	                    std::to_string(tp.partition) + ", " + std::to_string(expected.next_offset) + "::bigint, " +
	                    std::to_string(next.next_offset) + "::bigint, " + std::to_string(next.applied.timeline) + "::bigint, " +
	                    Lsn(next.applied.commit_lsn) + ", " + std::to_string(next.applied.seq) + "::bigint, " +
	                    std::to_string(next.applied.step) + "::smallint)";
	++checkpoint_count_;
	return Status::Ok();
}

Status PgTarget::StoreCheckpoints() {
	if (checkpoint_count_ == 0) return Status::Ok();
	const std::string group = session_.QuoteLiteral(group_);
	// Each row moves only from the checkpoint this sink read (or is new): a
	// row another sink of the group moved is not counted, and the batch fails.
	PgResult r;
	Status st = Exec("WITH v (topic, kafka_partition, expected, next_offset, timeline, commit_lsn, seq, step) AS (VALUES " +
	                     checkpoint_rows_ +
	                     "), moved AS (UPDATE flatwal_sink.checkpoints c SET (next_offset, timeline, commit_lsn, seq, step, "
	                     "applied_at) = (v.next_offset, v.timeline, v.commit_lsn, v.seq, v.step, now()) FROM v "
	                     "WHERE c.consumer_group = " + group +
	                     " AND c.topic = v.topic AND c.kafka_partition = v.kafka_partition AND v.expected >= 0 "
	                     "AND c.next_offset = v.expected RETURNING 1), "
	                     "added AS (INSERT INTO flatwal_sink.checkpoints (consumer_group, topic, kafka_partition, next_offset, "
	                     "timeline, commit_lsn, seq, step) SELECT " + group +
	                     ", topic, kafka_partition, next_offset, timeline, commit_lsn, seq, step FROM v WHERE expected < 0 "
	                     "ON CONFLICT DO NOTHING RETURNING 1) "
	                     "SELECT (SELECT count(*) FROM moved) + (SELECT count(*) FROM added)",
	                 &r);
	const size_t expected = checkpoint_count_;
	checkpoint_rows_.clear();
	checkpoint_count_ = 0;
	if (!st.ok()) return st;
	if (ParseUnsigned(r.text(0, 0)) != expected)
		return Status::Error(ErrorKind::kUnavailable,
		                     "a checkpoint of this batch was moved by another sink of the group (a rebalance)");
	return Status::Ok();
}

}  // namespace flatwal
