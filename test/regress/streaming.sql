-- Large transactions stream while still in progress once they outgrow
-- logical_decoding_work_mem (64kB in the test cluster), so the walsender
-- does not hold them in memory.
CREATE TABLE regress.bulk (id int PRIMARY KEY, pad text);
SELECT flatwal.add_table('regress.bulk');
SELECT 'init' FROM pg_create_logical_replication_slot('stream', 'flatwal');

INSERT INTO regress.bulk SELECT g, repeat('p', 100) FROM generate_series(1, 5000) g;

BEGIN;                                       -- streamed, then aborted
INSERT INTO regress.bulk SELECT g, repeat('q', 100) FROM generate_series(5001, 10000) g;
ROLLBACK;

BEGIN;                                       -- a streamed subtransaction that aborts
INSERT INTO regress.bulk VALUES (20000, 'kept');
SAVEPOINT s;
INSERT INTO regress.bulk SELECT g, repeat('r', 100) FROM generate_series(20001, 25000) g;
ROLLBACK TO s;
COMMIT;

CREATE TEMP TABLE frames AS
SELECT row_number() OVER () AS n, c::jsonb AS c
  FROM pg_logical_slot_get_binary_changes('stream', NULL, NULL, 'stream_changes', 'on') AS s,
       LATERAL flatwal.frames(s.data) AS f,
       LATERAL flatwal.to_json(f) AS c;

-- Stream blocks open and close in turn; commits and aborts come between blocks.
CREATE TEMP TABLE markers AS
SELECT row_number() OVER (ORDER BY n) AS k, c->>'event' AS event, c
  FROM frames WHERE c->>'event' LIKE 'stream_%';
SELECT count(*) FILTER (WHERE event = 'stream_start') > 2 AS several_blocks,
       count(*) FILTER (WHERE event = 'stream_start') = count(*) FILTER (WHERE event = 'stream_stop') AS balanced,
       count(*) FILTER (WHERE event = 'stream_commit') AS commits,
       count(*) FILTER (WHERE event = 'stream_abort') AS aborts
  FROM markers;
SELECT bool_and(CASE m.event WHEN 'stream_start' THEN prev.event IS DISTINCT FROM 'stream_start'
                             WHEN 'stream_stop' THEN prev.event = 'stream_start'
                             ELSE prev.event <> 'stream_start' END) AS well_nested
  FROM markers m LEFT JOIN markers prev ON prev.k = m.k - 1;
SELECT count(*) AS first_segments FROM frames
 WHERE c->>'event' = 'stream_start' AND (c->>'first_segment')::boolean;

-- Every change of the first transaction arrived once, in order, seq 1..5000.
SELECT count(*) AS changes, count(DISTINCT c->'after'->0) AS distinct_rows,
       bool_and((c->>'seq')::int = (c->'after'->0->>'int')::int) AS seq_follows_order,
       bool_and(c->>'commit_lsn' = '0/0') AS commit_unknown_while_streaming
  FROM frames WHERE c->>'event' = 'change' AND (c->'after'->0->>'int')::int <= 5000;

-- The aborts name the transaction, and for the savepoint the subtransaction.
SELECT (c->>'subxid')::bigint <> 0 AS subtransaction_abort
  FROM frames WHERE c->>'event' = 'stream_abort' ORDER BY n;
-- Changes made in the aborted savepoint carry its subxid, so a consumer can drop them.
SELECT bool_and(ch.c->>'subxid' = ab.c->>'subxid') AS rolled_back_rows_name_the_savepoint, count(*) > 0 AS streamed
  FROM frames ch, frames ab
 WHERE ab.c->>'event' = 'stream_abort' AND (ab.c->>'subxid')::bigint <> 0
   AND ch.c->>'event' = 'change' AND (ch.c->'after'->0->>'int')::int > 20000;

-- Without stream_changes the same work arrives as ordinary transactions.
INSERT INTO regress.bulk SELECT g, repeat('s', 100) FROM generate_series(30001, 32000) g;
SELECT c->>'event' AS event, count(*)
  FROM regress.changes('stream') AS c GROUP BY 1 ORDER BY 1;
SELECT pg_drop_replication_slot('stream');
