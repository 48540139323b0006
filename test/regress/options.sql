-- Every plugin option, and every way to get one wrong.
CREATE TABLE regress.opt_a (id int PRIMARY KEY, v text);
CREATE TABLE regress.opt_b (id int PRIMARY KEY, v text);
CREATE TABLE regress.opt_unregistered (id int PRIMARY KEY);
SELECT flatwal.add_table('regress.opt_a'), flatwal.add_table('regress.opt_b');
SELECT 'init' FROM pg_create_logical_replication_slot('opts', 'flatwal');

BEGIN;
INSERT INTO regress.opt_a VALUES (1, 'a');
INSERT INTO regress.opt_b VALUES (1, 'b');
INSERT INTO regress.opt_unregistered VALUES (1);
SELECT 'm' FROM pg_logical_emit_message(true, 'p', 'content');
COMMIT;

-- Default: the registered tables, with Begin/Commit and messages.
SELECT c->>'event' AS event, c->>'table' AS tbl, c->>'prefix' AS prefix
  FROM pg_logical_slot_peek_binary_changes('opts', NULL, NULL) AS s,
       LATERAL regress.mask(flatwal.to_json(s.data)) AS c;

-- include_transaction and include_messages off.
SELECT c->>'event' AS event, c->>'table' AS tbl
  FROM pg_logical_slot_peek_binary_changes('opts', NULL, NULL,
           'include_transaction', 'false', 'include_messages', 'off') AS s,
       LATERAL regress.mask(flatwal.to_json(s.data)) AS c;

-- An explicit table list replaces the catalog: unregistered tables carry version 0.
SELECT c->>'event' AS event, c->>'table' AS tbl, c->>'version' AS version
  FROM pg_logical_slot_peek_binary_changes('opts', NULL, NULL,
           'tables', 'regress.opt_b, regress.opt_unregistered', 'include_messages', 'no') AS s,
       LATERAL regress.mask(flatwal.to_json(s.data)) AS c;
SELECT count(*) AS frames_for_pattern
  FROM pg_logical_slot_peek_binary_changes('opts', NULL, NULL, 'tables', 'regress.*') AS s,
       LATERAL flatwal.frames(s.data);

-- batch_bytes packs several frames into one message; frames() splits them.
SELECT count(*) AS messages, sum((SELECT count(*) FROM flatwal.frames(s.data))) AS frames
  FROM pg_logical_slot_peek_binary_changes('opts', NULL, NULL, 'batch_bytes', '65536') AS s;
SELECT count(*) AS messages
  FROM pg_logical_slot_peek_binary_changes('opts', NULL, NULL) AS s;
SELECT flatwal.to_json(data)
  FROM pg_logical_slot_peek_binary_changes('opts', NULL, NULL, 'batch_bytes', '65536');

-- A disabled table is not emitted; enabling it again brings it back.
SELECT pg_replication_slot_advance('opts', pg_current_wal_lsn()) IS NOT NULL AS advanced;
SELECT flatwal.disable_table('regress.opt_a');
INSERT INTO regress.opt_a VALUES (2, 'not emitted');
SELECT flatwal.enable_table('regress.opt_a');
INSERT INTO regress.opt_a VALUES (3, 'emitted');
SELECT c->'after' AS after FROM regress.changes('opts') AS c WHERE c->>'event' = 'change';

-- Changes replayed from a replication origin can be skipped to avoid loops.
SELECT pg_replication_origin_create('upstream') > 0 AS origin_created;
SELECT pg_replication_origin_session_setup('upstream');
INSERT INTO regress.opt_a VALUES (10, 'from upstream');
SELECT pg_replication_origin_session_reset();
INSERT INTO regress.opt_a VALUES (11, 'local');
SELECT c->'after'->1 AS v
  FROM pg_logical_slot_peek_binary_changes('opts', NULL, NULL, 'origin', 'any') AS s,
       LATERAL regress.mask(flatwal.to_json(s.data)) AS c WHERE c->>'event' = 'change';
SELECT c->'after'->1 AS v
  FROM pg_logical_slot_peek_binary_changes('opts', NULL, NULL, 'origin', 'none') AS s,
       LATERAL regress.mask(flatwal.to_json(s.data)) AS c WHERE c->>'event' = 'change';
SELECT c->'after'->1 AS v
  FROM pg_logical_slot_peek_binary_changes('opts', NULL, NULL, 'skip_origins', 'upstream') AS s,
       LATERAL regress.mask(flatwal.to_json(s.data)) AS c WHERE c->>'event' = 'change';

-- Errors: each says what is wrong and what to do.
\set VERBOSITY default
SELECT * FROM pg_logical_slot_peek_binary_changes('opts', NULL, NULL, 'include-xids', '1');
SELECT * FROM pg_logical_slot_peek_binary_changes('opts', NULL, NULL, 'batch_bytes', '1', 'batch_bytes', '2');
SELECT * FROM pg_logical_slot_peek_binary_changes('opts', NULL, NULL, 'include_transaction', 'sometimes');
SELECT * FROM pg_logical_slot_peek_binary_changes('opts', NULL, NULL, 'batch_bytes', '-5');
SELECT * FROM pg_logical_slot_peek_binary_changes('opts', NULL, NULL, 'origin', 'elsewhere');
SELECT * FROM pg_logical_slot_peek_binary_changes('opts', NULL, NULL, 'tables', 'no_schema');
SELECT * FROM pg_logical_slot_peek_binary_changes('opts', NULL, NULL, 'skip_origins', 'no_such_origin');
-- flatwal writes binary frames; the text interface refuses it (PostgreSQL's own check).
SELECT * FROM pg_logical_slot_peek_changes('opts', NULL, NULL);

SELECT pg_replication_origin_drop('upstream');
SELECT pg_drop_replication_slot('opts');

-- The tables option follows SQL's identifier rules (REGRESS.NAMED is
-- regress.named), and a rename that makes a table stop matching is warned
-- about, not silent.
CREATE TABLE regress.named (id int PRIMARY KEY);
SELECT 'init' FROM pg_create_logical_replication_slot('named', 'flatwal');
INSERT INTO regress.named VALUES (1);
ALTER TABLE regress.named RENAME TO renamed;
INSERT INTO regress.renamed VALUES (2);
SELECT c->>'op' AS op, c->'after' AS after
  FROM regress.changes('named', 'tables', 'REGRESS.NAMED') AS c WHERE c->>'event' = 'change';
SELECT pg_drop_replication_slot('named');
DROP TABLE regress.renamed;

-- Table sets: a slot carries the captured tables of one set (option
-- table_set, default "default"), so a busy database can be split across slots.
CREATE TABLE regress.in_set (id int PRIMARY KEY);
SELECT flatwal.add_table('regress.in_set');
SELECT flatwal.set_table_set('regress.in_set', 'other');
SELECT flatwal.set_table_set('regress.in_set', '');
SELECT 'init' FROM pg_create_logical_replication_slot('sets', 'flatwal');
INSERT INTO regress.in_set VALUES (1);
SELECT count(*) AS default_set_changes
  FROM regress.changes('sets') AS c WHERE c->>'event' = 'change';
INSERT INTO regress.in_set VALUES (2);
SELECT c->>'op' AS op, c->'after' AS after
  FROM regress.changes('sets', 'table_set', 'other') AS c WHERE c->>'event' = 'change';
SELECT pg_drop_replication_slot('sets');
SELECT flatwal.remove_table('regress.in_set');
DROP TABLE regress.in_set;
