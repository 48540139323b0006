// pgoutput_source.cpp — see pgoutput_source.h.
#include "pgoutput_source.h"

#include <cstdlib>

#include "frame_reader.h"
#include "log.h"
#include "pgoutput_on_demand.h"
#include "text.h"
#include "shipped_record.h"
#include "text_values.h"

namespace flatwal {
namespace {

constexpr char kCatalogPurpose[] = "flatwal-shipper catalog";
// Domains over domains, arrays of domains: a few rounds reach every base type.
constexpr int kTypeRounds = 8;

// An SQL array literal of numbers: '{1,2,3}'.
template <typename Number>
std::string ArrayLiteral(const std::vector<Number>& values) {
	std::string out = "'{";
	for (size_t i = 0; i < values.size(); ++i) out += (i > 0 ? "," : "") + std::to_string(values[i]);
	return out + "}'";
}

uint32_t ToOid(const char* text) { return static_cast<uint32_t>(std::strtoul(text, nullptr, 10)); }

}  // namespace

PgoutputSource::PgoutputSource(const ShipperConfig& config, PgoutputFrames::Emit emit)
    : config_(config),
      frames_([this](const pgoutput::Relation& relation, std::vector<ColumnFacts>* facts) {
	      return Describe(relation, facts);
      },
              std::move(emit)) {
	frames_.set_breaking_change([](const std::string& table, uint32_t version, const std::string& what) {
		Log(LogLevel::kWarning, "a breaking schema change was captured",
		    {{"table", table}, {"version", std::to_string(version)}, {"change", what},
		     {"hint", "Without the extension no compatibility mode refuses such DDL: consumers of the table get the new "
		              "schema version as it is."}});
	});
}

Status PgoutputSource::Prepare(ReplicationStream& stream, uint32_t timeline) {
	frames_.Restart();
	frames_.set_timeline(timeline);
	types_.clear();  // a type dropped and made again may reuse an OID
	Status st = catalog_.Connect(config_.conninfo, PgSession::Kind::kSql, kCatalogPurpose);
	if (st.ok()) st = catalog_.Exec(kTextSessionSetup);  // fast defaults' text read as the stream's values are
	if (!st.ok()) return st;
	PgResult r;
	st = catalog_.Exec("SELECT pubviaroot FROM pg_catalog.pg_publication WHERE pubname = " +
	                       catalog_.QuoteLiteral(config_.publication),
	                   &r);
	if (!st.ok()) return st;
	if (r.rows() == 0 && !config_.publication_tables.empty()) {
		st = CreatePublication();  // it publishes via the partition root
	} else if (r.rows() == 0) {
		return Status::Error(ErrorKind::kRefused, "publication \"" + config_.publication + "\" does not exist",
		                     "--source pgoutput ships the tables of one publication.",
		                     "Create it as the tables' owner, e.g. CREATE PUBLICATION " + config_.publication +
		                         " FOR TABLE public.orders, public.customers WITH (publish_via_partition_root = true); "
		                         "let the shipper create it with --publication-tables; or name another with --publication.");
	} else if (std::string(r.text(0, 0)) != "t") {
		Log(LogLevel::kWarning, "the publication does not publish via the partition root: changes of a partitioned "
		                        "table arrive under each partition's name",
		    {{"publication", config_.publication},
		     {"fix", "ALTER PUBLICATION " + config_.publication + " SET (publish_via_partition_root = true)"}});
	}
	if (st.ok()) st = WarnWithoutIdentity();
	if (st.ok()) st = CheckReadable();
	if (st.ok()) st = FindSignalTable();
	if (!st.ok()) return st;
	// The values of the stream are written by this session's output functions.
	return stream.Exec(kTextSessionSetup);
}

Status PgoutputSource::CreatePublication() {
	// Each name resolved as the server resolves it (search_path, quoting), so a
	// table that does not exist is named before anything is created.
	std::string tables;
	size_t start = 0;
	while (start <= config_.publication_tables.size()) {
		size_t comma = config_.publication_tables.find(',', start);
		if (comma == std::string::npos) comma = config_.publication_tables.size();
		const std::string name = TrimSpace(config_.publication_tables.substr(start, comma - start));
		start = comma + 1;
		if (name.empty()) continue;
		PgResult r;
		Status st = catalog_.Exec("SELECT pg_catalog.to_regclass(" + catalog_.QuoteLiteral(name) + ")::text", &r);
		if (!st.ok()) return st;
		if (r.rows() == 0 || r.is_null(0, 0))
			return Status::Error(ErrorKind::kRefused, "table \"" + name + "\" of --publication-tables does not exist",
			                     "Nothing was created.", "Name existing tables, schema-qualified, separated by commas.");
		tables += (tables.empty() ? "" : ", ") + std::string(r.text(0, 0));
	}
	if (tables.empty())
		return Status::Error(ErrorKind::kInvalidParameter, "--publication-tables names no table");
	Status st = catalog_.Exec("CREATE PUBLICATION " + catalog_.QuoteIdentifier(config_.publication) + " FOR TABLE " +
	                          tables + " WITH (publish_via_partition_root = true)");
	if (!st.ok())
		return Status::Error(st.kind(), "cannot create publication \"" + config_.publication + "\": " + st.message(),
		                     st.detail(), "The role must own the tables (or create the publication as their owner).");
	Log(LogLevel::kInfo, "created publication", {{"publication", config_.publication}, {"tables", tables}});
	return Status::Ok();
}

Status PgoutputSource::CheckReadable() {
	// Snapshots (initial, resynchronising, on demand) read the tables: found
	// out before a slot is made, not halfway through the first snapshot.
	std::string tables;
	// has_any_column_privilege is also true for a grant on the whole table.
	Status st = PublishedTablesWhere("NOT pg_catalog.has_any_column_privilege(c.oid, 'SELECT')", &tables);
	if (!st.ok() || tables.empty()) return st;
	PgResult r;
	st = catalog_.Exec("SELECT current_user", &r);
	if (!st.ok()) return st;
	const std::string fix = "GRANT SELECT ON " + tables + " TO " + catalog_.QuoteIdentifier(r.text(0, 0));
	if (config_.snapshot_mode == SnapshotMode::kNever) {
		Log(LogLevel::kWarning, "the shipper's role may not read tables of the publication: a resynchronisation or an "
		                        "on-demand snapshot of them will fail",
		    {{"tables", tables}, {"fix", fix}});
		return Status::Ok();
	}
	return Status::Error(ErrorKind::kRefused, "the shipper's role may not read tables of the publication: " + tables,
	                     "The snapshot reads them; no slot was created.", fix);
}

Status PgoutputSource::FindSignalTable() {
	signal_table_.clear();
	column_lists_ = PQserverVersion(catalog_.conn()) >= 150000;
	publication_literal_ = catalog_.QuoteLiteral(config_.publication);
	PgResult r;
	Status st = catalog_.Exec(
	    "SELECT n.nspname, c.relname, pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname), "
	    "EXISTS (SELECT 1 FROM pg_catalog.pg_publication_tables p WHERE p.pubname = " + publication_literal_ +
	        " AND p.schemaname = n.nspname AND p.tablename = c.relname), "
	        "pg_catalog.has_table_privilege(c.oid, 'SELECT, UPDATE'), "
	        "(SELECT count(*) FROM pg_catalog.pg_attribute a WHERE a.attrelid = c.oid AND NOT a.attisdropped "
	        "AND a.attname IN ('id', 'table_name', 'state', 'rows_done', 'finished_at')) "
	        "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
	        "WHERE c.oid = " + SignalTableOid(catalog_.QuoteLiteral(config_.signal_table)),
	    &r);
	if (!st.ok()) return st;
	std::string off;  // why on-demand snapshots are off, with what to do
	if (r.rows() == 0)
		off = "create it (docs/pgoutput.md, \"On-demand snapshots\") and add it to the publication";
	else if (std::string(r.text(0, 3)) != "t")
		off = "it is not in the publication: ALTER PUBLICATION " + config_.publication + " ADD TABLE " + r.text(0, 2);
	else if (std::string(r.text(0, 4)) != "t")
		off = "the shipper's role may not read and update it: GRANT SELECT, UPDATE ON " + std::string(r.text(0, 2)) + " TO ...";
	else if (std::string(r.text(0, 5)) != "5")
		off = "it lacks some of the columns id, table_name, state, rows_done, finished_at (docs/pgoutput.md)";
	if (!off.empty()) {
		if (!signal_said_)
			Log(r.rows() == 0 ? LogLevel::kInfo : LogLevel::kWarning, "on-demand snapshots are off: no usable signal table",
			    {{"signal_table", config_.signal_table}, {"fix", off}});
		signal_said_ = true;
		frames_.set_signal_table("", "", nullptr);
		return Status::Ok();
	}
	signal_table_ = r.text(0, 2);
	frames_.set_signal_table(r.text(0, 0), r.text(0, 1),
	                         [this](const std::vector<std::string>& columns, const std::vector<pgoutput::Value>& values) {
		                         return OnSignal(columns, values);
	                         });
	return Status::Ok();
}

Status PgoutputSource::OnSignal(const std::vector<std::string>& columns, const std::vector<pgoutput::Value>& values) {
	std::string id, table;
	for (size_t i = 0; i < columns.size(); ++i) {
		if (values[i].format != 't') continue;
		if (columns[i] == "id") id = std::string(values[i].data);
		if (columns[i] == "table_name") table = std::string(values[i].data);
	}
	char* end = nullptr;
	const long long request = id.empty() ? 0 : std::strtoll(id.c_str(), &end, 10);
	if (id.empty() || *end != '\0' || table.empty()) {
		Log(LogLevel::kWarning, "a row of the signal table is not a request: it needs an id and a table_name",
		    {{"signal_table", config_.signal_table}, {"id", id}, {"table_name", table}});
		return Status::Ok();
	}
	PgResult r;
	Status st = catalog_.Exec("SELECT " + SignalTableOid(catalog_.QuoteLiteral(table)), &r);
	if (!st.ok()) return st;  // the stream starts over from before the request
	if (on_request_) on_request_(request, ToOid(r.text(0, 0)));
	return Status::Ok();
}

std::unique_ptr<OnDemandSource> PgoutputSource::OnDemand() {
	if (signal_table_.empty()) return nullptr;
	return std::unique_ptr<OnDemandSource>(new PgoutputOnDemand(signal_table_, publication_literal_, column_lists_, &frames_));
}

Status PgoutputSource::PublishedTablesWhere(const std::string& condition, std::string* tables) {
	PgResult r;
	Status st = catalog_.Exec(
	    "SELECT string_agg(format('%I.%I', p.schemaname, p.tablename), ', ' ORDER BY p.schemaname, p.tablename) "
	    "FROM pg_catalog.pg_publication_tables p JOIN pg_catalog.pg_publication pub ON pub.pubname = p.pubname "
	    "JOIN pg_catalog.pg_namespace n ON n.nspname = p.schemaname "
	    "JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = p.tablename "
	    "WHERE p.pubname = " + catalog_.QuoteLiteral(config_.publication) + " AND " + condition,
	    &r);
	tables->clear();
	if (st.ok() && r.rows() > 0 && !r.is_null(0, 0)) *tables = r.text(0, 0);
	return st;
}

Status PgoutputSource::WarnWithoutIdentity() {
	// PostgreSQL refuses UPDATE and DELETE of a table without a replica
	// identity while a publication publishes them: the application's writes
	// fail, not the shipper's. Said at every start.
	std::string tables;
	Status st = PublishedTablesWhere(
	    "(pub.pubupdate OR pub.pubdelete) AND (c.relreplident = 'n' OR (c.relreplident = 'd' AND NOT EXISTS "
	    "(SELECT 1 FROM pg_catalog.pg_index i WHERE i.indrelid = c.oid AND i.indisprimary)))",
	    &tables);
	if (!st.ok() || tables.empty()) return st;
	Log(LogLevel::kWarning, "tables of the publication have no replica identity: PostgreSQL refuses their UPDATE and "
	                        "DELETE while it publishes them",
	    {{"publication", config_.publication}, {"tables", tables},
	     {"fix", "add a primary key, or ALTER TABLE ... REPLICA IDENTITY FULL (or USING INDEX)"}});
	return Status::Ok();
}

Status PgoutputSource::LearnVersions(const std::string& schemas_topic) {
	FrameScratch scratch;
	size_t learned = 0;
	Status st = ReadTopicToEnd(ReaderSettings(config_), schemas_topic, 0, 30000,
	                           [&](std::string_view, std::string_view value) {
		                           const wire::Event* event = nullptr;
		                           if (!ReadFrame(reinterpret_cast<const uint8_t*>(value.data()), value.size(), &scratch,
		                                          &event).ok() ||
		                               event->body_type() != wire::Body::Schema)
			                           return;  // not one of ours: the numbering does not need it
		                           frames_.Know(*event->body_as_Schema());
		                           ++learned;
	                           });
	if (!st.ok()) return Status::Error(st.kind(), "reading the schema versions shipped before: " + st.message(), st.detail(), st.hint());
	Log(LogLevel::kInfo, "read the schema versions shipped before", {{"topic", schemas_topic}, {"frames", std::to_string(learned)}});
	return Status::Ok();
}

Status PgoutputSource::LoadTypes(std::vector<uint32_t> oids) {
	for (int round = 0; round < kTypeRounds; ++round) {
		std::vector<uint32_t> missing;
		for (uint32_t oid : oids)
			if (oid != 0 && types_.count(oid) == 0) missing.push_back(oid);
		if (missing.empty()) return Status::Ok();
		PgResult r;
		Status st = catalog_.Exec(
		    "SELECT oid, typtype, typbasetype, "
		    "CASE WHEN typlen = -1 AND typelem <> 0 AND typsubscript = 'pg_catalog.array_subscript_handler'::regproc "
		    "THEN typelem ELSE 0 END, typdelim FROM pg_catalog.pg_type WHERE oid = ANY (" + ArrayLiteral(missing) + "::oid[])",
		    &r);
		if (!st.ok()) return st;
		oids.clear();
		for (int i = 0; i < r.rows(); ++i) {
			TypeFacts& t = types_[ToOid(r.text(i, 0))];
			t.typtype = r.text(i, 1)[0];
			t.base = ToOid(r.text(i, 2));
			t.element = ToOid(r.text(i, 3));
			t.delimiter = r.text(i, 4)[0];
			oids.push_back(t.base);
			oids.push_back(t.element);
		}
		for (uint32_t oid : missing)
			if (types_.count(oid) == 0)
				return Status::Error(ErrorKind::kUnavailable, "type " + std::to_string(oid) + " of a published column is "
				                     "not in pg_type (dropped meanwhile?)");
	}
	return Status::Error(ErrorKind::kRefused, "a column's type nests domains or arrays deeper than " +
	                                              std::to_string(kTypeRounds) + " levels");
}

uint32_t PgoutputSource::BaseOf(uint32_t oid) const {
	for (int depth = 0; depth < kTypeRounds; ++depth) {
		auto t = types_.find(oid);
		if (t == types_.end() || t->second.typtype != 'd') break;
		oid = t->second.base;
	}
	return oid;
}

TextColumnType PgoutputSource::TextTypeOf(uint32_t declared) const {
	// As the plugin chooses a value's codec: by the base type; enums are
	// text, true arrays by their elements' base type.
	TextColumnType out;
	const uint32_t base = BaseOf(declared);
	auto b = types_.find(base);
	if (b == types_.end()) return out;
	if (b->second.typtype == 'e') {
		out.type = TextType::kText;
	} else if (b->second.element != 0) {
		out.type = TextType::kArray;
		out.element_oid = BaseOf(b->second.element);
		auto e = types_.find(out.element_oid);
		out.element = e != types_.end() && e->second.typtype == 'e' ? TextType::kText : TextTypeOfBuiltin(out.element_oid);
		auto declared_element = types_.find(b->second.element);
		if (declared_element != types_.end()) out.delimiter = declared_element->second.delimiter;
	} else {
		out.type = TextTypeOfBuiltin(base);
	}
	return out;
}

Status PgoutputSource::Describe(const pgoutput::Relation& relation, std::vector<ColumnFacts>* facts) {
	std::vector<uint32_t> types;
	std::vector<int32_t> typmods;
	for (const pgoutput::RelationColumn& c : relation.columns) {
		types.push_back(c.type_oid);
		typmods.push_back(c.typmod);
	}
	Status st = LoadTypes(types);
	if (!st.ok()) return st;
	// Type names as the plugin writes them (format_type with the typmod given, -1 included).
	PgResult names;
	st = catalog_.Exec("SELECT pg_catalog.format_type(t, m) FROM unnest(" + ArrayLiteral(types) + "::oid[], " +
	                       ArrayLiteral(typmods) + "::int4[]) WITH ORDINALITY AS u(t, m, i) ORDER BY i",
	                   &names);
	if (!st.ok()) return st;
	// NOT NULL, the primary key, the column's number and the value rows
	// written before an ADD COLUMN … DEFAULT hold (its one-element array's
	// element as text; a partitioned table's is in its partitions), by
	// column name, as the table is now.
	PgResult columns;
	st = catalog_.Exec("SELECT a.attname, a.attnotnull, coalesce(a.attnum = ANY (i.indkey), false), a.attnum, "
	                   "m.text IS NOT NULL, m.text "
	                   "FROM pg_catalog.pg_attribute a LEFT JOIN pg_catalog.pg_index i "
	                   "ON i.indrelid = a.attrelid AND i.indisprimary "
	                   "LEFT JOIN LATERAL (SELECT pg_catalog.array_to_string(s.attmissingval, '') AS text "
	                   "  FROM pg_catalog.pg_partition_tree(a.attrelid) t JOIN pg_catalog.pg_attribute s "
	                   "    ON s.attrelid = t.relid AND s.attname = a.attname AND s.atthasmissing "
	                   "  ORDER BY t.relid <> a.attrelid LIMIT 1) m ON true "
	                   "WHERE a.attrelid = " + std::to_string(relation.relid) + " AND a.attnum > 0 AND NOT a.attisdropped",
	                   &columns);
	if (!st.ok()) return st;
	if (names.rows() != static_cast<int>(relation.columns.size()))
		return Status::Error(ErrorKind::kInternal, "format_type answered " + std::to_string(names.rows()) + " rows for " +
		                                               std::to_string(relation.columns.size()) + " columns");
	std::map<std::string, ColumnFacts> now;  // by name: what the catalog says of each column now
	for (int i = 0; i < columns.rows(); ++i) {
		ColumnFacts& f = now[columns.text(i, 0)];
		f.not_null = std::string(columns.text(i, 1)) == "t";
		f.primary_key = std::string(columns.text(i, 2)) == "t";
		f.attnum = static_cast<int16_t>(std::atoi(columns.text(i, 3)));
		f.has_missing = std::string(columns.text(i, 4)) == "t";
		if (f.has_missing) f.missing_text = columns.text(i, 5);
	}
	facts->clear();
	for (size_t i = 0; i < relation.columns.size(); ++i) {
		const pgoutput::RelationColumn& c = relation.columns[i];
		// A name the table no longer has (renamed or dropped since): none of these facts.
		auto found = now.find(std::string(c.name));
		ColumnFacts f = found != now.end() ? found->second : ColumnFacts();
		f.type_name = names.text(static_cast<int>(i), 0);
		f.base_type_oid = BaseOf(c.type_oid);
		f.text = TextTypeOf(c.type_oid);
		facts->push_back(std::move(f));
	}
	return Status::Ok();
}

}  // namespace flatwal
