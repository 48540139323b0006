/*
 * pg.h — the only place flatwal's C++ includes PostgreSQL.
 *
 * Files that include this header are "seam" files: they may call PostgreSQL,
 * and PostgreSQL may ereport(ERROR) from any of those calls, which long-jumps.
 * Rule for every function in a seam file that calls PostgreSQL: no local
 * object with a non-trivial destructor may be alive across the call. Long-
 * lived C++ state (builders, caches, scratch vectors) lives in PluginState,
 * owned by a memory-context callback, never on the stack.
 *
 * Version-specific differences are kept here and nowhere else.
 */
#ifndef FLATWAL_PG_H
#define FLATWAL_PG_H

extern "C" {
#include "postgres.h"

#include "access/detoast.h"
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/skey.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tupconvert.h"
#include "access/tupdesc_details.h"
#include "access/xlog.h"
#include "access/xlogrecovery.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/partition.h"
#include "catalog/pg_index.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_type.h"
#include "commands/event_trigger.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/pg_list.h"
#include "replication/logical.h"
#include "replication/origin.h"
#include "replication/output_plugin.h"
#include "replication/reorderbuffer.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/bytea.h"
#include "utils/float.h"
#include "utils/date.h"
#include "utils/fmgroids.h"
#include "utils/inval.h"
#include "utils/jsonb.h"
#include "utils/pg_lsn.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/syscache.h"
#include "common/hmac.h"
#include "common/sha2.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"
#include "utils/uuid.h"
}

#if PG_VERSION_NUM < 150000
#error "flatwal needs PostgreSQL 15 or later"
#endif

/* Commit time of a decoded transaction (a union member since PostgreSQL 15). */
static inline TimestampTz
flatwal_commit_time(const ReorderBufferTXN *txn)
{
	return txn->xact_time.commit_time;
}

/* Row images of a decoded change (ReorderBufferTupleBuf until PostgreSQL 17). */
static inline HeapTuple
flatwal_change_old_tuple(ReorderBufferChange *change)
{
	return change->data.tp.oldtuple ? &change->data.tp.oldtuple->tuple : NULL;
}

static inline HeapTuple
flatwal_change_new_tuple(ReorderBufferChange *change)
{
	return change->data.tp.newtuple ? &change->data.tp.newtuple->tuple : NULL;
}

#endif /* FLATWAL_PG_H */
