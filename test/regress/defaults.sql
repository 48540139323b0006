-- A column added with a default: the rows already in the table hold it
-- without any WAL saying so (PostgreSQL's fast default, attmissingval). The
-- Schema frame carries that value as `missing` (its type's text; for a
-- masked column the hash, like its values) so a target can give its own
-- rows the same; a column added without one, or whose default is volatile
-- (the table is rewritten, every row holds its value), carries none.
CREATE EXTENSION IF NOT EXISTS pgcrypto;  -- only to check the hash independently
CREATE TABLE regress.defaults (id int PRIMARY KEY, v text);
INSERT INTO regress.defaults VALUES (1, 'before');
SELECT flatwal.add_table('regress.defaults');
SELECT 'init' FROM pg_create_logical_replication_slot('defaults', 'flatwal');
-- (first: it rewrites the table, which gives every row the values of earlier fast defaults too)
ALTER TABLE regress.defaults ADD COLUMN rolled float8 DEFAULT random();
-- ... and asks the shipper to send the table's rows again: their new values are in no change.
SELECT table_name, state FROM flatwal.snapshot_requests WHERE relid = 'regress.defaults'::regclass;
ALTER TABLE regress.defaults ADD COLUMN n int DEFAULT 42, ADD COLUMN tags text[] DEFAULT '{x,"y z"}',
    ADD COLUMN plain text, ADD COLUMN at date DEFAULT '2024-02-29';
ALTER TABLE regress.defaults ADD COLUMN secret text DEFAULT 'hunter2';
SELECT flatwal.set_columns('regress.defaults', mask => '{secret}') AS version;
INSERT INTO regress.defaults (id, v) VALUES (2, 'after');
SELECT x->>'name' AS name, x->>'attnum' AS attnum,
       CASE WHEN x->>'name' = 'secret'
            THEN ((x->>'missing') = encode(hmac(convert_to('hunter2', 'UTF8'), (SELECT key FROM flatwal.mask_key), 'sha256'),
                                          'hex'))::text
            ELSE x->>'missing' END AS missing
  FROM regress.changes('defaults', 'include_transaction', 'false') AS c, jsonb_array_elements(c->'columns') AS x
 WHERE c->>'event' = 'schema';
-- The same table rewritten: no row needs the value any more, so none is sent.
VACUUM FULL regress.defaults;
ALTER TABLE regress.defaults ADD COLUMN later int;
INSERT INTO regress.defaults (id, v) VALUES (3, 'rewritten');
SELECT count(DISTINCT c->>'version') AS schema_frames, count(*) FILTER (WHERE x ? 'missing') AS columns_with_missing
  FROM regress.changes('defaults', 'include_transaction', 'false') AS c, jsonb_array_elements(c->'columns') AS x
 WHERE c->>'event' = 'schema';
-- A partitioned table stores no rows: its partitions hold the fast default,
-- and its Schema frame says it all the same.
CREATE TABLE regress.parted_defaults (id int PRIMARY KEY, v text) PARTITION BY RANGE (id);
CREATE TABLE regress.parted_defaults_low PARTITION OF regress.parted_defaults FOR VALUES FROM (0) TO (100);
CREATE TABLE regress.parted_defaults_high PARTITION OF regress.parted_defaults FOR VALUES FROM (100) TO (200);
INSERT INTO regress.parted_defaults VALUES (1, 'low'), (150, 'high');
SELECT flatwal.add_table('regress.parted_defaults');
ALTER TABLE regress.parted_defaults ADD COLUMN n numeric DEFAULT 1.50;
INSERT INTO regress.parted_defaults (id, v) VALUES (2, 'after');
SELECT x->>'name' AS name, x->>'missing' AS missing
  FROM regress.changes('defaults', 'include_transaction', 'false') AS c, jsonb_array_elements(c->'columns') AS x
 WHERE c->>'event' = 'schema' AND c->>'table' = 'parted_defaults';
DROP TABLE regress.parted_defaults;

-- A table without a key cannot be snapshotted on demand: the rewrite says so.
CREATE TABLE regress.keyless (v int);
SELECT flatwal.add_table('regress.keyless');
ALTER TABLE regress.keyless ADD COLUMN r float8 DEFAULT random();
DROP TABLE regress.keyless;
DELETE FROM flatwal.snapshot_requests WHERE relid = 'regress.defaults'::regclass;
SELECT 'dropped' FROM pg_drop_replication_slot('defaults');
DROP TABLE regress.defaults;
