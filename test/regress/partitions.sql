-- A partitioned table is captured as one table: every partition's changes,
-- including partitions created or attached later, are published under the
-- parent's name and schema version (like pgoutput's
-- publish_via_partition_root); a detached partition is no longer captured.
CREATE TABLE regress.orders (id int, month date, note text, PRIMARY KEY (id, month)) PARTITION BY RANGE (month);
CREATE TABLE regress.orders_jan PARTITION OF regress.orders FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
SELECT flatwal.add_table('regress.orders');
SELECT 'init' FROM pg_create_logical_replication_slot('parts', 'flatwal');

INSERT INTO regress.orders VALUES (1, '2026-01-05', 'into an existing partition');
-- A partition created after the parent was added; its columns in another order.
CREATE TABLE regress.orders_feb (note text, month date NOT NULL, id int NOT NULL);
ALTER TABLE regress.orders ATTACH PARTITION regress.orders_feb FOR VALUES FROM ('2026-02-01') TO ('2026-03-01');
CREATE TABLE regress.orders_mar PARTITION OF regress.orders FOR VALUES FROM ('2026-03-01') TO ('2026-04-01');
INSERT INTO regress.orders VALUES (2, '2026-02-10', 'into an attached partition'), (3, '2026-03-15', 'into a new one');
UPDATE regress.orders SET note = 'updated' WHERE id = 2;
UPDATE regress.orders SET month = '2026-03-01' WHERE id = 1;  -- moves between partitions: delete + insert
DELETE FROM regress.orders WHERE id = 3;
ALTER TABLE regress.orders DETACH PARTITION regress.orders_jan;
INSERT INTO regress.orders_jan VALUES (4, '2026-01-20', 'detached: not captured');
TRUNCATE regress.orders;
SELECT c->>'event' AS event, c->>'table' AS "table", c->>'op' AS op, c->'version' AS version,
       c->'after' AS after, c->'before' AS before, c->'tables' AS tables
  FROM regress.changes('parts') AS c WHERE c->>'event' IN ('schema', 'change', 'truncate');

-- A partition truncated on its own names itself, as a partition of the
-- captured table: a consumer must not empty the whole table for it. Every
-- partition truncated (named one by one) is the table's truncate again.
INSERT INTO regress.orders VALUES (8, '2026-02-08', 'feb'), (9, '2026-03-09', 'mar');
TRUNCATE regress.orders_feb;
TRUNCATE regress.orders_feb, regress.orders_mar;
SELECT jsonb_path_query_array(c->'tables', '$[*] ? (@.partition_of != null)') <> '[]' AS names_partitions,
       (SELECT jsonb_agg(jsonb_build_object('table', t->>'table', 'partition_of', t->'partition_of'->>'table'))
          FROM jsonb_array_elements(c->'tables') t) AS tables
  FROM regress.changes('parts') AS c WHERE c->>'event' = 'truncate';
SELECT pg_drop_replication_slot('parts');

-- Snapshots read the parent with its partitions, in key order.
INSERT INTO regress.orders VALUES (7, '2026-02-02', 'b'), (5, '2026-03-03', 'c'), (6, '2026-02-01', 'a');
SELECT regress.mask(flatwal.to_json(f))->'after' AS snapshot_row
  FROM flatwal.snapshot_chunk('regress.orders', NULL, 10, '0/1') AS f;
-- A key range (the shipper's readers split large tables so): after [5, March] and before [7, January].
SELECT regress.mask(flatwal.to_json(f))->'after' AS ranged_row
  FROM flatwal.snapshot_chunk('regress.orders', '[5, "2026-03-03"]', 10, '0/1', '[7, "2026-01-01"]') AS f;
-- A partition's rows are the captured table's: none may be unlogged, however it comes.
CREATE UNLOGGED TABLE regress.orders_apr PARTITION OF regress.orders FOR VALUES FROM ('2026-04-01') TO ('2026-05-01');
ALTER TABLE regress.orders_feb SET UNLOGGED;
CREATE UNLOGGED TABLE regress.orders_may (id int NOT NULL, month date NOT NULL, note text);
ALTER TABLE regress.orders ATTACH PARTITION regress.orders_may FOR VALUES FROM ('2026-05-01') TO ('2026-06-01');
SELECT c.relname, c.relpersistence FROM pg_partition_tree('regress.orders') t JOIN pg_class c ON c.oid = t.relid
 ORDER BY 1;
DROP TABLE regress.orders, regress.orders_jan, regress.orders_may;
