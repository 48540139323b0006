// pgoutput_source.h — the shipper's side of a pgoutput slot (--source
// pgoutput): what a managed service lets it read. Checks the publication,
// makes the replication session write values in the text form
// format/text_values.h reads, learns the schema versions shipped before from
// the schemas topic, and turns each pgoutput message into the plugin's frames
// (format/pgoutput_frames.h), asking the catalog what a Relation message does
// not say (type names, domains, enums, arrays, NOT NULL, the primary key).
//
// The catalog is read when the Relation message arrives, not as of its WAL
// position: a column's type comes from the message (what the WAL holds); only
// NOT NULL and the primary key of a column renamed or dropped since are
// missing from the Schema frame (docs/pgoutput.md).
#ifndef FLATWAL_PGOUTPUT_SOURCE_H
#define FLATWAL_PGOUTPUT_SOURCE_H

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config.h"
#include "on_demand_source.h"
#include "pg_session.h"
#include "pgoutput_frames.h"
#include "replication.h"
#include "status.h"

namespace flatwal {

class PgoutputSource {
 public:
	PgoutputSource(const ShipperConfig& config, PgoutputFrames::Emit emit);

	// Once per replication connection, before START_REPLICATION: the
	// publication exists, the session's output settings, a catalog session.
	Status Prepare(ReplicationStream& stream, uint32_t timeline);
	// Versions given before (Schema frames of the schemas topic), so that a
	// restart numbers each table's shapes as the shipper did before it.
	Status LearnVersions(const std::string& schemas_topic);
	// The frames the stream and its snapshots share (their schema versions).
	PgoutputFrames* frames() { return &frames_; }
	// On-demand snapshots through the signal table (pgoutput_on_demand.h),
	// when Prepare() found it usable; null when not (said in the log).
	std::unique_ptr<OnDemandSource> OnDemand();
	// Where a request inserted into the signal table goes: its id and its
	// table (0 when the name resolves to none).
	void set_on_request(std::function<void(int64_t id, uint32_t relid)> on_request) { on_request_ = std::move(on_request); }
	// One message of the stream, sent by the server at `wal_start`.
	Status OnMessage(uint64_t wal_start, const uint8_t* data, size_t size) {
		return frames_.OnMessage(wal_start, data, size);
	}

 private:
	// What pg_type says of one type.
	struct TypeFacts {
		char typtype = 'b';
		uint32_t base = 0;     // a domain's base type
		uint32_t element = 0;  // a true array's element type
		char delimiter = ',';
	};
	Status Describe(const pgoutput::Relation& relation, std::vector<ColumnFacts>* facts);
	// CREATE PUBLICATION for --publication-tables, after checking every table exists.
	Status CreatePublication();
	// The publication's tables (p: pg_publication_tables, pub: pg_publication,
	// c: pg_class) for which SQL `condition` holds, as "s.t, s.u", in name
	// order; "" for none.
	Status PublishedTablesWhere(const std::string& condition, std::string* tables);
	// Logs the publication's tables whose UPDATE and DELETE PostgreSQL refuses (no replica identity).
	Status WarnWithoutIdentity();
	// Refuses (or, with --snapshot never, warns of) tables the role may not read.
	Status CheckReadable();
	// Looks for --signal-table; when it is usable, its inserts become requests.
	Status FindSignalTable();
	Status OnSignal(const std::vector<std::string>& columns, const std::vector<pgoutput::Value>& values);
	// Makes sure types_ holds `oids` and every type they lead to (bases, elements).
	Status LoadTypes(std::vector<uint32_t> oids);
	uint32_t BaseOf(uint32_t oid) const;
	TextColumnType TextTypeOf(uint32_t declared) const;

	const ShipperConfig& config_;
	PgoutputFrames frames_;
	PgSession catalog_;
	std::map<uint32_t, TypeFacts> types_;
	// The signal table, when usable: its quoted name; the publication as an SQL literal.
	std::string signal_table_, publication_literal_;
	bool column_lists_ = false;    // the server keeps publication column lists (PostgreSQL 15)
	bool signal_said_ = false;     // why on-demand snapshots are off was logged
	std::function<void(int64_t, uint32_t)> on_request_;
};

}  // namespace flatwal

#endif  // FLATWAL_PGOUTPUT_SOURCE_H
