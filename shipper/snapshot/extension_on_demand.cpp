// extension_on_demand.cpp — see extension_on_demand.h.
#include "extension_on_demand.h"

#include "frame_reader.h"
#include "snapshot_plan.h"
#include "log.h"

namespace flatwal {

std::string ExtensionOnDemand::UnfinishedRequests() const {
	return "SELECT id, relid FROM flatwal.snapshot_requests WHERE state <> 'done' ORDER BY id";
}

std::string ExtensionOnDemand::RequestState(int64_t id, uint32_t relid) const {
	// A table set's name is letters, digits, '_', '-' and '.' (config.cpp): a literal as it is.
	return "SELECT r.state, n.nspname, c.relname, coalesce(s.table_set, '') = '" + table_set_ + "'" +
	       ", pg_current_snapshot()::text FROM pg_class c "
	       "JOIN pg_namespace n ON n.oid = c.relnamespace "
	       "LEFT JOIN flatwal.source_tables s ON s.relid = c.oid "
	       "LEFT JOIN flatwal.snapshot_requests r ON r.id = " + std::to_string(id) +
	       " WHERE c.oid = " + std::to_string(relid);
}

std::string ExtensionOnDemand::MarkRunning(int64_t id) const {
	return "UPDATE flatwal.snapshot_requests SET state = 'running' WHERE id = " + std::to_string(id);
}

std::string ExtensionOnDemand::MarkDone(int64_t id, uint64_t rows) const {
	return "UPDATE flatwal.snapshot_requests SET state = 'done', rows_done = " + std::to_string(rows) +
	       ", finished_at = now() WHERE id = " + std::to_string(id);
}

std::string ExtensionOnDemand::SplitFacts(uint32_t relid) const { return ExtensionSplitFactsSql(relid); }

Status ExtensionOnDemand::ReadChunk(SideSession& session, const ChunkRequest& chunk, ChunkRead* read) const {
	auto key = [&session](const std::string& k) { return k.empty() ? std::string("NULL") : session.QuoteLiteral(k) + "::jsonb"; };
	return session.Exec("SELECT * FROM flatwal.snapshot_chunk(" + std::to_string(chunk.relid) + "::regclass, " +
	                        key(chunk.after_key) + ", " + std::to_string(chunk.rows) + ", '" + read->low_lsn + "', " +
	                        key(chunk.before_key) + ")",
	                    &read->rows, PgSession::Format::kBinary);
}

Status ExtensionOnDemand::EnsureSchema(SideSession& control, uint32_t relid, uint32_t version, bool* retry) {
	*retry = false;
	if (catalog_->Find(relid, version) != nullptr) return Status::Ok();
	PgResult r;
	Status st = control.Exec("SELECT flatwal.schema_frame(" + std::to_string(relid) + "::regclass)", &r,
	                         PgSession::Format::kBinary);
	if (!st.ok()) {
		Log(LogLevel::kWarning, "on-demand snapshot: cannot read the table's schema, will retry",
		    {{"error", st.message()}, {"detail", st.detail()}});
		*retry = true;  // the chunk is read again
		return Status::Ok();
	}
	st = emit_(r.bytes(0, 0), r.length(0, 0));
	if (st.ok() && catalog_->Find(relid, version) == nullptr)
		st = Status::Error(ErrorKind::kInvalidData, "a snapshot row has a schema version its table does not describe",
		                   "Relation " + std::to_string(relid) + ", version " + std::to_string(version) + ".",
		                   "The table changed while it was read; request the snapshot again.");
	return st;
}

Status ExtensionOnDemand::Frames(SideSession& control, const ChunkRead& read, std::vector<std::string>* frames,
                                 bool* retry) {
	*retry = false;
	FrameScratch scratch;
	for (int i = 0; i < read.rows.rows(); ++i) {
		const wire::Event* event = nullptr;
		Status st = ReadFrame(read.rows.bytes(i, 0), read.rows.length(i, 0), &scratch, &event);
		if (!st.ok()) return st;
		const wire::Change* row = event->body_as_Change();
		if (row == nullptr)
			return Status::Error(ErrorKind::kInvalidData, "flatwal.snapshot_chunk() returned a frame that is not a row",
			                     "", "Check that the flatwal extension and the shipper are the same version.");
		st = EnsureSchema(control, row->header()->relid(), row->header()->version(), retry);
		if (!st.ok() || *retry) return st;
		frames->emplace_back(reinterpret_cast<const char*>(read.rows.bytes(i, 0)), read.rows.length(i, 0));
	}
	return Status::Ok();
}

}  // namespace flatwal
