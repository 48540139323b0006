-- The control plane: registering tables, refusing those that cannot be
-- captured, consumer checkpoints and the slot lag view.
\set VERBOSITY default
CREATE TABLE regress.cat_ok (id int PRIMARY KEY);
SELECT flatwal.add_table('regress.cat_ok');
SELECT flatwal.add_table('regress.cat_ok');   -- again: no new version
SELECT version FROM flatwal.schema_versions WHERE relid = 'regress.cat_ok'::regclass;

SELECT flatwal.add_table('regress.does_not_exist');
CREATE VIEW regress.cat_view AS SELECT 1 AS x;
SELECT flatwal.add_table('regress.cat_view');
CREATE UNLOGGED TABLE regress.cat_unlogged (id int PRIMARY KEY);
SELECT flatwal.add_table('regress.cat_unlogged');
CREATE TEMP TABLE cat_temp (id int PRIMARY KEY);
SELECT flatwal.add_table('cat_temp');
-- A partitioned table is accepted: its partitions' changes are published as its own (partitions.sql).
CREATE TABLE regress.cat_parted (id int PRIMARY KEY) PARTITION BY RANGE (id);
SELECT flatwal.add_table('regress.cat_parted');
SELECT flatwal.add_table('flatwal.source_tables');
SELECT flatwal.disable_table('regress.cat_view');
SELECT flatwal.remove_table('regress.cat_view');

SELECT flatwal.disable_table('regress.cat_ok');
SELECT capture_enabled FROM flatwal.source_tables WHERE relid = 'regress.cat_ok'::regclass;
SELECT flatwal.request_snapshot('regress.cat_ok');  -- refused while disabled
SELECT flatwal.enable_table('regress.cat_ok');
SELECT capture_enabled FROM flatwal.source_tables WHERE relid = 'regress.cat_ok'::regclass;
SELECT flatwal.remove_table('regress.cat_ok');
SELECT count(*) FROM flatwal.source_tables WHERE relid = 'regress.cat_ok'::regclass;

-- On-demand snapshots: only for captured tables with a key; a request is
-- recorded and logged as a transactional message for the shipper.
SELECT flatwal.request_snapshot('regress.cat_view');
CREATE TABLE regress.cat_nokey (a int);
SELECT flatwal.add_table('regress.cat_nokey');
SELECT flatwal.request_snapshot('regress.cat_nokey');
CREATE TABLE regress.cat_snap (id int PRIMARY KEY);
SELECT 'init' FROM pg_create_logical_replication_slot('requests', 'flatwal');
SELECT flatwal.add_table('regress.cat_snap', snapshot => true) AS version;
SELECT relid::regclass AS table_name, state, rows_done FROM flatwal.snapshot_requests;
SELECT c->>'event' AS event, c->>'prefix' AS prefix, c->>'transactional' AS transactional
  FROM pg_logical_slot_get_binary_changes('requests', NULL, NULL) AS s, LATERAL flatwal.to_json(s.data) AS c
 WHERE c->>'event' = 'message';
SELECT pg_drop_replication_slot('requests');
SELECT flatwal.remove_table('regress.cat_nokey'), flatwal.remove_table('regress.cat_snap');

-- Checkpoints never move backwards.
SELECT flatwal.save_checkpoint('loader', 'public.orders', '0/100');
SELECT flatwal.save_checkpoint('loader', 'public.orders', '0/50');
SELECT flatwal.save_checkpoint('loader', 'public.orders', '0/200');
SELECT consumer_id, table_name, last_lsn FROM flatwal.consumer_checkpoints;

-- Slot lag: a slot that has not consumed lags by at least the WAL written since.
SELECT 'init' FROM pg_create_logical_replication_slot('lagging', 'flatwal');
CREATE TABLE regress.cat_noise AS SELECT g FROM generate_series(1, 1000) g;
SELECT slot_name, plugin, active, wal_status, lag_bytes > 10000 AS lags, retained_bytes >= lag_bytes AS retains
  FROM flatwal.slot_lag WHERE slot_name = 'lagging';
SELECT pg_drop_replication_slot('lagging');

-- to_json refuses bytes that are not a frame, and explains.
SELECT flatwal.to_json('\x0102030405060708090a'::bytea);
SELECT flatwal.to_json('\x'::bytea);
SELECT flatwal.to_json('\x0c000000000000004657414c00000000'::bytea);
SELECT * FROM flatwal.frames('\x0500000001'::bytea);

-- A table that is not there gets a clear message, not a constraint violation.
SELECT flatwal.add_table(NULL);
SELECT flatwal.add_table(0::regclass);

-- A captured table cannot become unlogged: its rows would never reach the WAL.
CREATE TABLE regress.cat_logged (id int PRIMARY KEY);
SELECT flatwal.add_table('regress.cat_logged');
ALTER TABLE regress.cat_logged SET UNLOGGED;
SELECT relpersistence FROM pg_class WHERE oid = 'regress.cat_logged'::regclass;
SELECT flatwal.remove_table('regress.cat_logged');
ALTER TABLE regress.cat_logged SET UNLOGGED;
DROP TABLE regress.cat_logged;
