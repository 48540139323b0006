-- One encoder: a row read by a snapshot (flatwal.read_frame) is encoded by
-- the same code as a row decoded from the WAL, so the frames agree in every
-- value; only op (read) and the positions differ.
SELECT 'init' FROM pg_create_logical_replication_slot('snap', 'flatwal');
-- Copies of every typed row from types.sql (every type, NULLs, edge values).
INSERT INTO regress.typed
SELECT (jsonb_populate_record(src, jsonb_build_object('id', src.id + 100))).* FROM regress.typed src;

CREATE TEMP TABLE streamed AS
SELECT c FROM regress.changes('snap') AS c WHERE c->>'event' = 'change';
CREATE TEMP TABLE snapshot AS
SELECT regress.mask(flatwal.to_json(flatwal.read_frame('regress.typed'::regclass, src, row_number() OVER (ORDER BY id),
                                                      '0/ABCDEF'))) AS c,
       flatwal.to_json(flatwal.read_frame('regress.typed'::regclass, src, 1, '0/ABCDEF'))->>'commit_lsn' AS commit_lsn
  FROM regress.typed src WHERE id > 100;

SELECT count(*) AS rows,
       bool_and(r.c->'after' = s.c->'after') AS values_identical,
       bool_and((r.c - '{op,seq}'::text[]) = (s.c - '{op,seq}'::text[])) AS frames_identical_but_op_and_seq
  FROM snapshot r JOIN streamed s ON s.c->'after'->0 = r.c->'after'->0;
SELECT c->>'op' AS op, c->>'seq' AS seq, c->'after'->0->>'int' AS id, c->>'version' AS version, c->>'old_image' AS old_image,
       commit_lsn
  FROM snapshot ORDER BY (c->>'seq')::int;

-- The schema frame a snapshot sends equals the one the stream sent.
INSERT INTO regress.typed (id) VALUES (200);
SELECT regress.mask(flatwal.to_json(flatwal.schema_frame('regress.typed'))) =
       (SELECT c FROM regress.changes('snap') AS c WHERE c->>'event' = 'schema') AS schema_frames_identical;
SELECT pg_drop_replication_slot('snap');

\set VERBOSITY default
SELECT flatwal.read_frame('regress.typed'::regclass, t, 1, '0/1') FROM regress.acct t LIMIT 1;
SELECT flatwal.read_frame('regress.no_such'::regclass, NULL::record, 1, '0/1');
