-- Schema versions are decided in the WAL's timeline: a change carries the
-- version that was current when its row was written, even when the slot is
-- read only after later DDL.
CREATE TABLE regress.evolving (id int PRIMARY KEY, name text NOT NULL, price int);
SELECT flatwal.add_table('regress.evolving');
SELECT 'init' FROM pg_create_logical_replication_slot('versions', 'flatwal');

INSERT INTO regress.evolving VALUES (1, 'a', 10);                        -- version 1
ALTER TABLE regress.evolving ADD COLUMN note text;                        -- version 2: FULL
INSERT INTO regress.evolving VALUES (2, 'b', 20, 'n');
ALTER TABLE regress.evolving ALTER COLUMN price TYPE bigint;              -- version 3: NONE
INSERT INTO regress.evolving VALUES (3, 'c', 30, NULL);
ALTER TABLE regress.evolving RENAME COLUMN note TO remark;                -- version 4: NONE
ALTER TABLE regress.evolving DROP COLUMN price;                           -- version 5: FORWARD (a drop)
INSERT INTO regress.evolving VALUES (4, 'd', 'r');
ALTER TABLE regress.evolving ADD COLUMN qty int NOT NULL DEFAULT 0;       -- version 6: FULL (a default)
ALTER TABLE regress.evolving DROP COLUMN name;                            -- version 7: FORWARD
ALTER TABLE regress.evolving SET (fillfactor = 90);                       -- no new version
BEGIN;                                                                    -- DDL and rows in one transaction
INSERT INTO regress.evolving VALUES (5, 'before', 1);
ALTER TABLE regress.evolving ADD COLUMN flag bool;                        -- version 8
INSERT INTO regress.evolving VALUES (6, 'after', 2, true);
COMMIT;

SELECT version, compatibility, jsonb_path_query_array(definition, '$.columns[*].name') AS columns
  FROM flatwal.schema_versions WHERE relid = 'regress.evolving'::regclass ORDER BY version;

-- Read only now, after all the DDL: each row keeps its own version, and a
-- Schema frame announces each version before its first row.
SELECT c->>'event' AS event, c->>'version' AS version,
       CASE c->>'event' WHEN 'schema' THEN jsonb_path_query_array(c, '$.columns[*].name')
                        ELSE c->'after' END AS detail
  FROM regress.changes('versions', 'include_transaction', 'false') AS c;

-- A new decoding session announces the current schema again before its first row.
INSERT INTO regress.evolving VALUES (7, 'x', 3, false);
SELECT c->>'event' AS event, c->>'version' AS version
  FROM regress.changes('versions', 'include_transaction', 'false') AS c;
SELECT pg_drop_replication_slot('versions');

-- DDL that changes a captured table's columns without naming it records a
-- version too: a domain dropped with CASCADE drops its column, a renamed type
-- renames a column's type, a dropped sequence takes its column's default.
CREATE DOMAIN regress.sv_positive AS int CHECK (VALUE > 0);
CREATE TYPE regress.sv_mood AS ENUM ('calm', 'busy');
CREATE SEQUENCE regress.sv_counter;
ALTER TABLE regress.evolving ADD COLUMN score regress.sv_positive, ADD COLUMN mood regress.sv_mood,
    ADD COLUMN n bigint DEFAULT nextval('regress.sv_counter');
SELECT max(version) AS version FROM flatwal.schema_versions WHERE relid = 'regress.evolving'::regclass;
DROP DOMAIN regress.sv_positive CASCADE;
ALTER TYPE regress.sv_mood RENAME TO sv_feeling;
DROP SEQUENCE regress.sv_counter CASCADE;
SELECT version, compatibility,
       (SELECT string_agg(format('%s %s%s', c->>'name', c->>'type', CASE WHEN (c->>'has_default')::bool THEN ' default' END), ', ')
          FROM jsonb_array_elements(definition->'columns') c WHERE (c->>'attnum')::int > 6) AS later_columns
  FROM flatwal.schema_versions WHERE relid = 'regress.evolving'::regclass ORDER BY version DESC LIMIT 4;
ALTER TABLE regress.evolving DROP COLUMN mood, DROP COLUMN n;
DROP TYPE regress.sv_feeling;

-- Dropping a captured table removes it from capture; its versions stay as history.
DROP TABLE regress.evolving;
SELECT count(*) AS still_captured FROM flatwal.source_tables WHERE relid::oid NOT IN (SELECT oid FROM pg_class);
