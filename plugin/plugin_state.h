// plugin_state.h — everything one decoding session keeps between callbacks.
#ifndef FLATWAL_PLUGIN_STATE_H
#define FLATWAL_PLUGIN_STATE_H

#include <string>
#include <unordered_map>
#include <vector>

#include "encoder.h"
#include "options.h"
#include "pg.h"
#include "relation_info.h"

namespace flatwal {

struct PluginState {
	explicit PluginState(MemoryContext session_context);

	Options options;
	RelationCache relations;
	FrameEncoder encoder;
	MemoryContext change_context;  // reset after every callback
	std::vector<RepOriginId> skipped_origins;

	std::string pending;           // frames not yet handed to the walsender (batching)

	// The transaction being replayed (not streamed): Begin is sent lazily so
	// that transactions touching no captured table produce no frames.
	bool txn_open = false;
	uint32 txn_seq = 0;

	// Streaming: the open stream block, and change counters of streamed
	// transactions that have sent frames and are not yet committed or aborted.
	TransactionId stream_xid = InvalidTransactionId;
	bool stream_block_open = false;
	std::unordered_map<TransactionId, uint32> stream_seq;

	std::vector<TruncatedTable> truncated;  // scratch: captured relations of one TRUNCATE (as published)
	std::vector<Relation> opened;           // scratch: partitioned tables opened to publish a TRUNCATE as theirs
};

}  // namespace flatwal

#endif  // FLATWAL_PLUGIN_STATE_H
