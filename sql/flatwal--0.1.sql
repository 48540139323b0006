-- flatwal 0.1: the control plane of flatwal change data capture.
--
-- flatwal.source_tables and flatwal.schema_versions are user catalog tables:
-- logical decoding reads them under its historic snapshot, so whether a row
-- change is captured, and which schema version it carries, is decided as of
-- the moment the row was written, not when the slot is read.

\echo Use "CREATE EXTENSION flatwal" to load this file. \quit

-- ------------------------------------------------------------------ catalog

CREATE TABLE flatwal.source_tables (
    relid           regclass    PRIMARY KEY,
    key_columns     text[]      NOT NULL,   -- message key columns, in key order; empty if none
    capture_enabled boolean     NOT NULL DEFAULT true,
    created_at      timestamptz NOT NULL DEFAULT now(),
    -- Which slot's shipper carries it: a busy database splits its tables across
    -- slots (plugin option table_set, flatwal-shipper --table-set).
    table_set       text        NOT NULL DEFAULT 'default' CHECK (table_set <> ''),
    -- Which schema changes DDL may make (flatwal.set_compatibility); checked at DDL time.
    compatibility_mode text     NOT NULL DEFAULT 'NONE'
                                CHECK (compatibility_mode IN ('BACKWARD', 'FORWARD', 'FULL', 'NONE')),
    -- flatwal.set_columns: columns never sent, and columns sent as a keyed hash.
    excluded_columns text[]     NOT NULL DEFAULT '{}',
    masked_columns   text[]     NOT NULL DEFAULT '{}'
) WITH (user_catalog_table = true);

COMMENT ON TABLE flatwal.source_tables IS
    'Tables whose changes flatwal emits (managed with flatwal.add_table and friends).';

CREATE TABLE flatwal.schema_versions (
    relid          oid         NOT NULL,    -- no foreign key: history outlives a removed table
    version        integer     NOT NULL CHECK (version > 0),
    definition     jsonb       NOT NULL,
    compatibility  text        CHECK (compatibility IN ('BACKWARD', 'FORWARD', 'FULL', 'NONE')),
    registered_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (relid, version)
) WITH (user_catalog_table = true);

COMMENT ON TABLE flatwal.schema_versions IS
    'One row per schema version of a captured table; compatibility compares it with the version before '
    '(NULL for the first). BACKWARD: consumers written for the older version read this version''s data; '
    'FORWARD: consumers written for this version read the older version''s data; FULL: both; NONE: neither.';

CREATE TABLE flatwal.consumer_checkpoints (
    consumer_id text        NOT NULL,
    table_name  text        NOT NULL,
    last_lsn    pg_lsn      NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer_id, table_name)
);

COMMENT ON TABLE flatwal.consumer_checkpoints IS
    'Where each consumer has applied changes up to, per table (exactly-once effect at the consumer).';

-- The key of masked columns' HMAC-SHA256: one per database, made at CREATE
-- EXTENSION, readable by no one but its owner (the plugin reads it as a catalog).
CREATE TABLE flatwal.mask_key (
    key bytea NOT NULL CHECK (length(key) >= 16)
) WITH (user_catalog_table = true);
REVOKE ALL ON flatwal.mask_key FROM PUBLIC;
INSERT INTO flatwal.mask_key
SELECT decode(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 'hex');

COMMENT ON TABLE flatwal.mask_key IS
    'The secret of masked columns (flatwal.set_columns): a masked value is hex(HMAC-SHA256(key, value as text)). '
    'Kept by pg_dump with the database, so hashes stay the same after a restore.';

SELECT pg_catalog.pg_extension_config_dump('flatwal.mask_key', '');
SELECT pg_catalog.pg_extension_config_dump('flatwal.source_tables', '');
SELECT pg_catalog.pg_extension_config_dump('flatwal.schema_versions', '');
SELECT pg_catalog.pg_extension_config_dump('flatwal.consumer_checkpoints', '');

-- Decoding sessions cache registrations; tell them when one changes.
CREATE FUNCTION flatwal.catalog_changed() RETURNS trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'flatwal_catalog_changed';

CREATE TRIGGER source_tables_changed AFTER INSERT OR UPDATE OR DELETE ON flatwal.source_tables
    FOR EACH ROW EXECUTE FUNCTION flatwal.catalog_changed();
CREATE TRIGGER schema_versions_changed AFTER INSERT OR UPDATE OR DELETE ON flatwal.schema_versions
    FOR EACH ROW EXECUTE FUNCTION flatwal.catalog_changed();

-- ------------------------------------------------------------------ frames

-- json, not jsonb: the text shows the frame exactly as stored (-0, \u0000,
-- repeated keys inside a json value); cast to jsonb to query it as jsonb.
CREATE FUNCTION flatwal.to_json(frame bytea) RETURNS json
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'flatwal_to_json';

COMMENT ON FUNCTION flatwal.to_json(bytea) IS
    'Renders one flatwal frame (or a replication message holding one frame) as JSON, exactly as stored.';

CREATE FUNCTION flatwal.frames(message bytea) RETURNS SETOF bytea
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'flatwal_frames';

COMMENT ON FUNCTION flatwal.frames(bytea) IS
    'Splits a replication message (batch_bytes > 0) into its frames.';

-- ------------------------------------------------------------------ table definitions

-- The key of a table's messages: the replica identity index when REPLICA
-- IDENTITY USING INDEX, else the primary key. Mirrors the plugin's choice.
CREATE FUNCTION flatwal.key_columns(tbl regclass) RETURNS text[]
    LANGUAGE sql STABLE AS $$
    SELECT coalesce(array_agg(a.attname::text ORDER BY k.ord), '{}')
      FROM pg_index i
      CROSS JOIN LATERAL unnest(i.indkey[0:i.indnkeyatts - 1]) WITH ORDINALITY AS k(attnum, ord)
      JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
     WHERE i.indrelid = tbl
       AND CASE WHEN (SELECT relreplident FROM pg_class WHERE oid = tbl) = 'i'
                THEN i.indisreplident ELSE i.indisprimary END
$$;

-- What a schema version records: the same facts as the plugin's Schema frame.
CREATE FUNCTION flatwal.table_definition(tbl regclass) RETURNS jsonb
    LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'schema', n.nspname,
        'table', c.relname,
        'replica_identity', CASE c.relreplident WHEN 'd' THEN 'default' WHEN 'n' THEN 'nothing'
                                                WHEN 'f' THEN 'full' ELSE 'index' END,
        'key_columns', to_jsonb(flatwal.key_columns(tbl)),
        'columns', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                        'attnum', a.attnum,
                        'name', a.attname,
                        'type', format_type(a.atttypid, a.atttypmod),
                        'type_oid', a.atttypid::bigint,
                        'typmod', a.atttypmod,
                        'not_null', a.attnotnull,
                        'has_default', a.atthasdef,
                        'masked', a.attname = ANY (coalesce(s.masked_columns, '{}'))) ORDER BY a.attnum), '[]')
                      FROM pg_attribute a
                     WHERE a.attrelid = tbl AND a.attnum > 0 AND NOT a.attisdropped
                       AND NOT a.attname = ANY (coalesce(s.excluded_columns, '{}'))),
        'excluded_columns', to_jsonb(coalesce(s.excluded_columns, '{}')))
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      LEFT JOIN flatwal.source_tables s ON s.relid = c.oid
     WHERE c.oid = tbl
$$;

-- The changes from one definition to the next that some consumer cannot
-- follow, and which compatibility each breaks:
--   BACKWARD: consumers written for the older version read the newer data
--             (what consumers already deployed need when the source changes);
--   FORWARD:  consumers written for the newer version read the older data
--             (replays, backfills, compacted topics);
--   BOTH:     neither.
-- Columns are matched by attnum: a name change at the same attnum is a rename.
CREATE FUNCTION flatwal.schema_change_breaks(older jsonb, newer jsonb)
    RETURNS TABLE (change text, breaks text)
    LANGUAGE sql IMMUTABLE AS $$
    WITH o AS (SELECT * FROM jsonb_to_recordset(older->'columns')
                   AS x(attnum int, name text, type text, not_null boolean, has_default boolean, masked boolean)),
         n AS (SELECT * FROM jsonb_to_recordset(newer->'columns')
                   AS x(attnum int, name text, type text, not_null boolean, has_default boolean, masked boolean))
    SELECT format('column %s renamed to %s', o.name, n.name), 'BOTH'
      FROM o JOIN n USING (attnum) WHERE o.name <> n.name
    UNION ALL
    SELECT format('column %s changed type from %s to %s', n.name, o.type, n.type), 'BOTH'
      FROM o JOIN n USING (attnum) WHERE o.type <> n.type
    UNION ALL
    SELECT format('column %s may now be NULL', n.name), 'BACKWARD'
      FROM o JOIN n USING (attnum) WHERE o.not_null AND NOT n.not_null
    UNION ALL
    SELECT format('column %s is now NOT NULL', n.name), 'FORWARD'
      FROM o JOIN n USING (attnum) WHERE NOT o.not_null AND n.not_null
    UNION ALL
    SELECT format('column %s %s', n.name, CASE WHEN n.masked THEN 'masked' ELSE 'no longer masked' END), 'BOTH'
      FROM o JOIN n USING (attnum) WHERE coalesce(o.masked, false) <> coalesce(n.masked, false)
    UNION ALL
    SELECT format('column %s %s', o.name,
                  CASE WHEN o.name IN (SELECT jsonb_array_elements_text(newer->'excluded_columns'))
                       THEN 'excluded' ELSE 'dropped' END), 'BACKWARD'
      FROM o WHERE o.attnum NOT IN (SELECT attnum FROM n)
    UNION ALL
    -- Excluded columns are not in the definitions' columns: one that left the
    -- list while another came that was no column before was renamed.
    SELECT format('excluded column %s renamed to %s', gone.name, came.name), 'BOTH'
      FROM (SELECT e AS name FROM jsonb_array_elements_text(older->'excluded_columns') e
             WHERE NOT (newer->'excluded_columns') ? e AND e NOT IN (SELECT name FROM n)) gone,
           (SELECT e AS name FROM jsonb_array_elements_text(newer->'excluded_columns') e
             WHERE NOT (older->'excluded_columns') ? e AND e NOT IN (SELECT name FROM o)) came
    UNION ALL
    SELECT format('column %s added as NOT NULL without a default', n.name), 'FORWARD'
      FROM n WHERE n.not_null AND NOT coalesce(n.has_default, false) AND n.attnum NOT IN (SELECT attnum FROM o)
    UNION ALL
    SELECT format('key changed from (%s) to (%s)',
                  (SELECT string_agg(k, ', ') FROM jsonb_array_elements_text(older->'key_columns') k),
                  (SELECT string_agg(k, ', ') FROM jsonb_array_elements_text(newer->'key_columns') k)), 'BOTH'
     WHERE older->'key_columns' IS DISTINCT FROM newer->'key_columns'
$$;

-- The compatibility of a new definition with the one before.
CREATE FUNCTION flatwal.compatibility(older jsonb, newer jsonb) RETURNS text
    LANGUAGE sql IMMUTABLE AS $$
    WITH b AS (SELECT bool_or(breaks IN ('BACKWARD', 'BOTH')) AS backward,
                      bool_or(breaks IN ('FORWARD', 'BOTH')) AS forward
                 FROM flatwal.schema_change_breaks(older, newer))
    SELECT CASE WHEN coalesce(backward, false) AND coalesce(forward, false) THEN 'NONE'
                WHEN coalesce(backward, false) THEN 'FORWARD'
                WHEN coalesce(forward, false) THEN 'BACKWARD'
                ELSE 'FULL' END
      FROM b
$$;

-- Refuses a DDL whose new definition of tbl breaks the table's compatibility
-- mode; the error aborts the DDL's transaction, so nothing of it is recorded.
CREATE FUNCTION flatwal.check_compatibility(tbl regclass) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    mode text;
    latest flatwal.schema_versions;
    broken text;
BEGIN
    SELECT s.compatibility_mode INTO mode FROM flatwal.source_tables s WHERE s.relid = tbl;
    IF mode IS NULL OR mode = 'NONE' THEN
        RETURN;
    END IF;
    SELECT * INTO latest FROM flatwal.schema_versions v WHERE v.relid = tbl ORDER BY v.version DESC LIMIT 1;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    SELECT string_agg(format('%s (breaks %s)', b.change,
                             CASE b.breaks WHEN 'BOTH' THEN 'BACKWARD and FORWARD' ELSE b.breaks END), '; ') INTO broken
      FROM flatwal.schema_change_breaks(latest.definition, flatwal.table_definition(tbl)) b
     WHERE mode = 'FULL' OR b.breaks IN (mode, 'BOTH');
    IF broken IS NOT NULL THEN
        RAISE EXCEPTION 'schema change of % refused: its compatibility mode is %', tbl, mode
            USING ERRCODE = 'invalid_table_definition',
                  DETAIL = format('Against schema version %s: %s. %s', latest.version, broken,
                                  CASE mode
                                      WHEN 'BACKWARD' THEN 'BACKWARD: consumers written for the current version must read the new data.'
                                      WHEN 'FORWARD' THEN 'FORWARD: consumers written for the new version must read the data already written.'
                                      ELSE 'FULL: consumers of either version must read the data of both.' END),
                  HINT = format('Migrate in compatible steps (add a nullable column, copy, let consumers move, '
                                'then retire the old one), or change the mode deliberately first: '
                                'SELECT flatwal.set_compatibility(%L, ''NONE'').', tbl::text);
    END IF;
END
$$;

-- Records a new schema version of tbl if its definition differs from the
-- latest one. Returns the version now current.
CREATE FUNCTION flatwal.register_schema_version(tbl regclass) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    current_definition jsonb := flatwal.table_definition(tbl);
    latest flatwal.schema_versions;
BEGIN
    SELECT * INTO latest FROM flatwal.schema_versions
     WHERE relid = tbl ORDER BY version DESC LIMIT 1;
    IF FOUND AND latest.definition = current_definition THEN
        RETURN latest.version;
    END IF;
    INSERT INTO flatwal.schema_versions (relid, version, definition, compatibility)
    VALUES (tbl, coalesce(latest.version, 0) + 1, current_definition,
            CASE WHEN latest.version IS NULL THEN NULL
                 ELSE flatwal.compatibility(latest.definition, current_definition) END);
    UPDATE flatwal.source_tables SET key_columns = flatwal.key_columns(tbl)
     WHERE relid = tbl AND key_columns IS DISTINCT FROM flatwal.key_columns(tbl);
    RETURN coalesce(latest.version, 0) + 1;
END
$$;

-- ------------------------------------------------------------------ managing captured tables

CREATE FUNCTION flatwal.add_table(tbl regclass, enabled boolean DEFAULT true, snapshot boolean DEFAULT false)
    RETURNS integer
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    rel record;
    version integer;
BEGIN
    SELECT c.relkind, c.relpersistence, c.relreplident, n.nspname, c.relname
      INTO rel FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = tbl;
    -- A partitioned table ('p') is captured through its partitions, now and
    -- later ones: each partition's changes are published as the parent's
    -- (under its name and schema version), like publish_via_partition_root.
    -- Its rows live in the partitions; see the plugin's relation_info.cpp.
    -- Views, foreign tables, sequences and the like write no rows to the WAL.
    IF rel.relkind NOT IN ('r', 'p') THEN
        RAISE EXCEPTION 'cannot capture %: it is not a table', tbl
            USING ERRCODE = 'wrong_object_type',
                  DETAIL = format('Relation kind is "%s"; only ordinary tables are written to the WAL as rows.',
                                  rel.relkind);
    ELSIF rel.relpersistence <> 'p' THEN
        RAISE EXCEPTION 'cannot capture % table %',
                CASE rel.relpersistence WHEN 'u' THEN 'unlogged' ELSE 'temporary' END, tbl
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'Its changes are not written to the WAL, so logical decoding never sees them.',
                  HINT = CASE rel.relpersistence WHEN 'u' THEN format('Run ALTER TABLE %s SET LOGGED.', tbl)
                              ELSE 'Capture a permanent table instead.' END;
    ELSIF rel.nspname IN ('flatwal', 'pg_catalog', 'information_schema') THEN
        RAISE EXCEPTION 'cannot capture %: it belongs to schema %', tbl, rel.nspname
            USING ERRCODE = 'wrong_object_type';
    ELSIF rel.relkind IS NULL THEN  -- no such relation (NULL or an OID of nothing): every test above was NULL
        RAISE EXCEPTION 'flatwal.add_table needs an existing table, not %', coalesce(tbl::oid::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Name the table, e.g. SELECT flatwal.add_table(''public.orders'').';
    END IF;

    IF current_setting('wal_level') <> 'logical' THEN
        RAISE WARNING 'wal_level is "%", so changes to % are not decodable yet', current_setting('wal_level'), tbl
            USING HINT = 'Set wal_level = logical in postgresql.conf and restart PostgreSQL.';
    END IF;
    IF rel.relreplident = 'n' THEN
        RAISE WARNING 'table % has REPLICA IDENTITY NOTHING', tbl
            USING DETAIL = 'Inserts and updates are captured; updates and deletes will say that no old key is '
                           'available, and deletes will have no message key.',
                  HINT = format('Run ALTER TABLE %s REPLICA IDENTITY DEFAULT (with a primary key) or FULL.', tbl);
    ELSIF flatwal.key_columns(tbl) = '{}' AND rel.relreplident <> 'f' THEN
        RAISE WARNING 'table % has no primary key', tbl
            USING DETAIL = 'Inserts are captured; updates and deletes will say that no old key is available, '
                           'and messages will have no key.',
                  HINT = format('Add a primary key, or run ALTER TABLE %s REPLICA IDENTITY FULL.', tbl);
    END IF;
    -- (user catalog tables do not support INSERT … ON CONFLICT)
    UPDATE flatwal.source_tables SET capture_enabled = enabled WHERE relid = tbl;
    IF NOT FOUND THEN
        INSERT INTO flatwal.source_tables (relid, key_columns, capture_enabled)
        VALUES (tbl, flatwal.key_columns(tbl), enabled);
    END IF;
    version := flatwal.register_schema_version(tbl);
    IF snapshot THEN
        PERFORM flatwal.request_snapshot(tbl);
    END IF;
    RETURN version;
END
$$;

COMMENT ON FUNCTION flatwal.add_table(regclass, boolean, boolean) IS
    'Starts capturing a table; returns its current schema version. With snapshot, its existing rows are '
    'sent too (an on-demand snapshot by flatwal-shipper).';

-- The one "not captured" error of the control plane.
CREATE FUNCTION flatwal.require_captured(tbl regclass, enabled_only boolean DEFAULT false) RETURNS void
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    enabled boolean;
BEGIN
    SELECT s.capture_enabled INTO enabled FROM flatwal.source_tables s WHERE s.relid = tbl;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'table % is not captured by flatwal', tbl
            USING ERRCODE = 'undefined_object', HINT = format('Add it with SELECT flatwal.add_table(%L).', tbl::text);
    ELSIF enabled_only AND NOT enabled THEN
        RAISE EXCEPTION 'capture of table % is disabled', tbl
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = format('Enable it with SELECT flatwal.enable_table(%L).', tbl::text);
    END IF;
END
$$;

CREATE FUNCTION flatwal.set_capture(tbl regclass, enabled boolean) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM flatwal.require_captured(tbl);
    UPDATE flatwal.source_tables SET capture_enabled = enabled WHERE relid = tbl;
END
$$;

-- Moves a captured table to another table set: from the next change on, the
-- slot (and shipper) of that set carries it, and the others stop.
CREATE FUNCTION flatwal.set_table_set(tbl regclass, table_set text) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF table_set IS NULL OR table_set = '' THEN
        RAISE EXCEPTION 'a table set needs a name' USING ERRCODE = 'invalid_parameter_value',
            HINT = 'The tables of a slot without the table_set option are in the set named default.';
    END IF;
    PERFORM flatwal.require_captured(tbl);
    UPDATE flatwal.source_tables s SET table_set = set_table_set.table_set WHERE s.relid = tbl;
END
$$;

-- Which schema changes DDL on a captured table may make (see
-- flatwal.schema_change_breaks): BACKWARD, FORWARD, FULL, or NONE (the default:
-- every change is recorded, none refused).
CREATE FUNCTION flatwal.set_compatibility(tbl regclass, mode text) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF mode IS NULL OR upper(mode) NOT IN ('BACKWARD', 'FORWARD', 'FULL', 'NONE') THEN
        RAISE EXCEPTION 'unknown compatibility mode %', coalesce(quote_literal(mode), 'NULL')
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Use BACKWARD, FORWARD, FULL or NONE.';
    END IF;
    PERFORM flatwal.require_captured(tbl);
    UPDATE flatwal.source_tables s SET compatibility_mode = upper(mode) WHERE s.relid = tbl;
END
$$;

COMMENT ON FUNCTION flatwal.set_compatibility(regclass, text) IS
    'Sets which schema changes DDL on the table may make: BACKWARD (consumers of the current version read new '
    'data), FORWARD (consumers of a new version read old data), FULL (both), NONE (default: no check).';

-- Which columns of a captured table never leave the database (exclude) and
-- which are sent as a keyed hash (mask). Replaces the table's previous lists;
-- records a new schema version (subject to the table's compatibility mode).
CREATE FUNCTION flatwal.set_columns(tbl regclass, exclude text[] DEFAULT '{}', mask text[] DEFAULT '{}')
    RETURNS integer
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    name text;
    keys text[];
BEGIN
    PERFORM flatwal.require_captured(tbl);
    exclude := coalesce(exclude, '{}');
    mask := coalesce(mask, '{}');
    SELECT s.key_columns INTO keys FROM flatwal.source_tables s WHERE s.relid = tbl;
    FOREACH name IN ARRAY exclude || mask LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_attribute a
                        WHERE a.attrelid = tbl AND a.attname = name AND a.attnum > 0 AND NOT a.attisdropped) THEN
            RAISE EXCEPTION 'table % has no column %', tbl, quote_ident(name)
                USING ERRCODE = 'undefined_column';
        ELSIF name = ANY (keys) THEN
            RAISE EXCEPTION 'column % of % is part of its key, which every message carries', quote_ident(name), tbl
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'Key a table by columns that may leave the database (ALTER TABLE … REPLICA IDENTITY USING INDEX).';
        ELSIF name = ANY (exclude) AND name = ANY (mask) THEN
            RAISE EXCEPTION 'column % is both excluded and masked', quote_ident(name)
                USING ERRCODE = 'invalid_parameter_value', HINT = 'Name it in one of the two lists.';
        END IF;
    END LOOP;
    UPDATE flatwal.source_tables s
       SET excluded_columns = ARRAY(SELECT DISTINCT unnest(exclude) ORDER BY 1),
           masked_columns = ARRAY(SELECT DISTINCT unnest(mask) ORDER BY 1)
     WHERE s.relid = tbl;
    PERFORM flatwal.check_compatibility(tbl);
    RETURN flatwal.register_schema_version(tbl);
END
$$;

COMMENT ON FUNCTION flatwal.set_columns(regclass, text[], text[]) IS
    'Excluded columns never leave the database; masked ones are sent as hex(HMAC-SHA256(flatwal.mask_key, '
    'value as text)), declared as text. Returns the new schema version.';

CREATE FUNCTION flatwal.enable_table(tbl regclass) RETURNS void
    LANGUAGE sql AS $$ SELECT flatwal.set_capture(tbl, true) $$;
CREATE FUNCTION flatwal.disable_table(tbl regclass) RETURNS void
    LANGUAGE sql AS $$ SELECT flatwal.set_capture(tbl, false) $$;

CREATE FUNCTION flatwal.remove_table(tbl regclass) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM flatwal.require_captured(tbl);
    DELETE FROM flatwal.source_tables WHERE relid = tbl;
END
$$;

COMMENT ON FUNCTION flatwal.remove_table(regclass) IS
    'Stops capturing a table. Its schema versions stay as history.';

-- ------------------------------------------------------------------ consumer checkpoints

CREATE FUNCTION flatwal.save_checkpoint(consumer text, tbl text, lsn pg_lsn) RETURNS pg_lsn
    LANGUAGE sql AS $$
    INSERT INTO flatwal.consumer_checkpoints AS c (consumer_id, table_name, last_lsn)
    VALUES (consumer, tbl, lsn)
    ON CONFLICT (consumer_id, table_name) DO UPDATE
       SET last_lsn = greatest(c.last_lsn, EXCLUDED.last_lsn), updated_at = now()
    RETURNING last_lsn
$$;

COMMENT ON FUNCTION flatwal.save_checkpoint(text, text, pg_lsn) IS
    'Records that a consumer applied a table''s changes up to lsn; never moves backwards.';

-- ------------------------------------------------------------------ monitoring

CREATE VIEW flatwal.slot_lag AS
SELECT slot_name,
       plugin,
       database,
       active,
       active_pid,
       wal_status,
       pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint AS lag_bytes,
       pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint AS retained_bytes,
       confirmed_flush_lsn,
       restart_lsn,
       safe_wal_size
  FROM pg_replication_slots
 WHERE slot_type = 'logical';

COMMENT ON VIEW flatwal.slot_lag IS
    'Logical slots: lag_bytes not yet confirmed by the consumer, retained_bytes of WAL kept for it. '
    'wal_status = lost means the slot was invalidated and must be recreated.';

-- ------------------------------------------------------------------ DDL tracking

-- New schema versions are registered in the DDL's own transaction, so the
-- version a change carries is the one current when the row was written.

-- A column policy (excluded_columns, masked_columns) names its columns; when a
-- protected column is renamed the policy follows it, in the rename's own
-- transaction, so the decoder never sees the column under a name the policy
-- lacks. renamed is the column's attnum; the old name is the one name of the
-- policy that no column has any more (names of dropped columns are pruned at
-- every DDL, so there is at most one).
CREATE FUNCTION flatwal.follow_column_rename(tbl regclass, renamed smallint) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    new_name text := (SELECT a.attname FROM pg_attribute a WHERE a.attrelid = tbl AND a.attnum = renamed);
    live text[] := ARRAY(SELECT a.attname::text FROM pg_attribute a
                          WHERE a.attrelid = tbl AND a.attnum > 0 AND NOT a.attisdropped);
    policy record;
    vanished text[];
BEGIN
    SELECT s.excluded_columns, s.masked_columns INTO policy FROM flatwal.source_tables s WHERE s.relid = tbl;
    vanished := ARRAY(SELECT n FROM unnest(policy.excluded_columns || policy.masked_columns) n WHERE n <> ALL (live));
    IF cardinality(vanished) = 0 THEN
        RETURN;  -- the renamed column is not protected
    ELSIF cardinality(vanished) > 1 THEN
        RAISE EXCEPTION 'cannot rename a column of %: its column policy names several columns it no longer has (%)',
                tbl, array_to_string(vanished, ', ')
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'flatwal cannot tell which protected column this rename renames.',
                  HINT = format('Set the policy again with flatwal.set_columns(%L, …), then rename.', tbl::text);
    END IF;
    UPDATE flatwal.source_tables s
       SET excluded_columns = array_replace(s.excluded_columns, vanished[1], new_name),
           masked_columns = array_replace(s.masked_columns, vanished[1], new_name)
     WHERE s.relid = tbl;
END
$$;

-- What no DDL may leave a captured table with. An unlogged table (or
-- partition: its rows are the captured table's) writes no WAL, so every row
-- written while it is unlogged would be lost to CDC without a trace;
-- PostgreSQL refuses this for tables in a publication, and flatwal for
-- captured ones. A key over an excluded or masked column would put the
-- protected value in every message key, or leave messages without a key.
-- Names of dropped columns leave the column policy here.
CREATE FUNCTION flatwal.check_captured_table(tbl regclass) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    unlogged regclass;
    protected_keys text[];
BEGIN
    SELECT c.oid INTO unlogged
      FROM pg_class c
     WHERE (c.oid = tbl OR c.oid IN (SELECT t.relid FROM pg_partition_tree(tbl) t)) AND c.relpersistence = 'u'
     ORDER BY c.oid = tbl DESC LIMIT 1;
    IF unlogged IS NOT NULL THEN
        RAISE EXCEPTION 'cannot make % unlogged: %', unlogged,
                CASE WHEN unlogged = tbl THEN 'it is captured' ELSE format('it is a partition of captured table %s', tbl) END
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'Changes to an unlogged table are not written to WAL, so flatwal could not capture them.',
                  HINT = format('Keep it logged, or stop capturing %s first with SELECT flatwal.remove_table(%L).',
                                tbl, tbl::text);
    END IF;
    UPDATE flatwal.source_tables s
       SET excluded_columns = ARRAY(SELECT n FROM unnest(s.excluded_columns) n WHERE EXISTS (
                                   SELECT 1 FROM pg_attribute a WHERE a.attrelid = tbl AND a.attname = n AND NOT a.attisdropped)),
           masked_columns = ARRAY(SELECT n FROM unnest(s.masked_columns) n WHERE EXISTS (
                                   SELECT 1 FROM pg_attribute a WHERE a.attrelid = tbl AND a.attname = n AND NOT a.attisdropped))
     WHERE s.relid = tbl;
    SELECT ARRAY(SELECT k FROM unnest(flatwal.key_columns(tbl)) k
                  WHERE k = ANY (s.excluded_columns || s.masked_columns)) INTO protected_keys
      FROM flatwal.source_tables s WHERE s.relid = tbl;
    IF cardinality(protected_keys) > 0 THEN
        RAISE EXCEPTION 'cannot key % by %: excluded and masked columns may not be part of the key',
                tbl, array_to_string(protected_keys, ', ')
            USING ERRCODE = 'invalid_table_definition',
                  DETAIL = 'Every message of a table carries its key in clear.',
                  HINT = format('Key the table by other columns, or lift the policy first with flatwal.set_columns(%L, …).',
                                tbl::text);
    END IF;
END
$$;

-- Everything a DDL command must do for one captured table it changed.
CREATE FUNCTION flatwal.after_ddl(tbl regclass) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM flatwal.check_captured_table(tbl);
    PERFORM flatwal.check_compatibility(tbl);
    PERFORM flatwal.register_schema_version(tbl);
END
$$;

-- Runs after every DDL command. A command on a relation concerns the captured
-- table it names, the table an index belongs to, and the captured tables a
-- partition belongs to. A command on a type, domain, schema or extension can
-- change a captured table's columns without naming it (a renamed type, a
-- domain made NOT NULL): every captured table is checked then, a no-op for
-- those whose definition did not change.
CREATE FUNCTION flatwal.on_ddl_command_end() RETURNS event_trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    captured regclass;
    renamed record;
BEGIN
    FOR renamed IN
        SELECT DISTINCT cmd.objid::regclass AS tbl, cmd.objsubid::smallint AS attnum
          FROM pg_event_trigger_ddl_commands() AS cmd
          JOIN flatwal.source_tables s ON s.relid = cmd.objid
         WHERE cmd.classid = 'pg_catalog.pg_class'::regclass AND cmd.objsubid > 0 AND cmd.command_tag = 'ALTER TABLE'
    LOOP
        PERFORM flatwal.follow_column_rename(renamed.tbl, renamed.attnum);
    END LOOP;
    FOR captured IN
        WITH cmd AS (SELECT * FROM pg_event_trigger_ddl_commands()),
             relation AS (SELECT coalesce(i.indrelid, c.objid) AS relid
                            FROM cmd c LEFT JOIN pg_index i ON i.indexrelid = c.objid
                           WHERE c.classid = 'pg_catalog.pg_class'::regclass),
             touched AS (SELECT relid FROM relation
                         UNION SELECT a.relid FROM relation r, pg_partition_ancestors(r.relid) a
                         UNION SELECT s.relid FROM flatwal.source_tables s
                                WHERE EXISTS (SELECT 1 FROM cmd c WHERE c.classid IN (
                                    'pg_catalog.pg_type'::regclass, 'pg_catalog.pg_namespace'::regclass,
                                    'pg_catalog.pg_extension'::regclass)))
        SELECT s.relid FROM flatwal.source_tables s JOIN touched t ON t.relid = s.relid ORDER BY s.relid
    LOOP
        PERFORM flatwal.after_ddl(captured);
    END LOOP;
END
$$;

-- A dropped captured table leaves the catalog. Anything else dropped (a
-- column, a default, a type or domain with CASCADE, an index behind a key)
-- may have changed a captured table without an ALTER TABLE naming it:
-- every remaining captured table is checked.
CREATE FUNCTION flatwal.on_sql_drop() RETURNS event_trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    captured regclass;
BEGIN
    DELETE FROM flatwal.source_tables s
     USING pg_event_trigger_dropped_objects() AS d
     WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objsubid = 0 AND s.relid = d.objid;
    -- (what a dropped relation takes with it, its row type, indexes and
    -- constraints, is neither original nor reached by a normal dependency)
    IF EXISTS (SELECT 1 FROM pg_event_trigger_dropped_objects() d
                WHERE (d.original OR d.normal) AND NOT d.is_temporary
                  AND d.object_type NOT IN ('table', 'view', 'materialized view', 'foreign table', 'sequence')) THEN
        FOR captured IN SELECT s.relid FROM flatwal.source_tables s ORDER BY s.relid LOOP
            PERFORM flatwal.after_ddl(captured);
        END LOOP;
    END IF;
END
$$;

CREATE EVENT TRIGGER flatwal_ddl_command_end ON ddl_command_end
    EXECUTE FUNCTION flatwal.on_ddl_command_end();

CREATE EVENT TRIGGER flatwal_sql_drop ON sql_drop
    EXECUTE FUNCTION flatwal.on_sql_drop();

-- ------------------------------------------------------------------ snapshots

-- One row of tbl as a Change frame with op = read, encoded like streamed rows.
CREATE FUNCTION flatwal.read_frame(tbl regclass, row_value record, seq bigint, snapshot_lsn pg_lsn) RETURNS bytea
    LANGUAGE c STRICT AS 'MODULE_PATHNAME', 'flatwal_read_frame';

-- The Schema frame describing tbl as it is now.
CREATE FUNCTION flatwal.schema_frame(tbl regclass) RETURNS bytea
    LANGUAGE c STRICT AS 'MODULE_PATHNAME', 'flatwal_schema_frame';

-- Initial snapshots taken by flatwal-shipper, per slot and table. A slot whose
-- snapshot did not finish is dropped and snapshotted again on restart.
CREATE TABLE flatwal.snapshot_progress (
    slot_name      name        NOT NULL,
    relid          oid         NOT NULL,
    table_name     text        NOT NULL,
    state          text        NOT NULL CHECK (state IN ('pending', 'running', 'done')),
    rows_done      bigint      NOT NULL DEFAULT 0,
    rows_estimated bigint,
    consistent_lsn pg_lsn,                  -- NULL until the slot exists
    started_at     timestamptz,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    finished_at    timestamptz,
    resync         boolean     NOT NULL DEFAULT false,  -- a resynchronisation after the slot was lost
    PRIMARY KEY (slot_name, relid)
);

COMMENT ON TABLE flatwal.snapshot_progress IS
    'Initial snapshot progress of each flatwal-shipper slot: rows done of the estimate, per table.';

-- On-demand snapshots (the DBLog method): flatwal-shipper reads the table in
-- key-ordered chunks between low and high watermark messages while streaming
-- goes on, and drops chunk rows that changed between the two watermarks.
CREATE TABLE flatwal.snapshot_requests (
    id           bigserial   PRIMARY KEY,
    relid        oid         NOT NULL,
    table_name   text        NOT NULL,
    state        text        NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'running', 'done')),
    rows_done    bigint      NOT NULL DEFAULT 0,
    requested_at timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz
);

COMMENT ON TABLE flatwal.snapshot_requests IS
    'On-demand snapshots asked for with flatwal.request_snapshot(); flatwal-shipper works through them.';

CREATE FUNCTION flatwal.request_snapshot(tbl regclass) RETURNS bigint
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    request_id bigint;
BEGIN
    PERFORM flatwal.require_captured(tbl, enabled_only => true);
    IF flatwal.key_columns(tbl) = '{}' THEN
        RAISE EXCEPTION 'cannot snapshot % on demand: it has no key', tbl
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'An on-demand snapshot reads the table in key order, in chunks, while changes stream.',
                  HINT = 'Add a primary key.';
    END IF;
    INSERT INTO flatwal.snapshot_requests (relid, table_name) VALUES (tbl, tbl::text) RETURNING id INTO request_id;
    -- The request commits only once every synchronous standby applied it, and
    -- so every commit before it. A commit that waits for a standby is streamed
    -- before other sessions can see it; the shipper starts reading the table
    -- once it sees the request row, so no transaction streamed before the
    -- request may still be invisible then (its rows would be read as they were
    -- before it). Without synchronous standbys this is an ordinary commit.
    PERFORM set_config('synchronous_commit', 'remote_apply', true);
    -- Transactional: the shipper sees the request when, and only if, it commits.
    -- Content: "<request id> <table oid>".
    PERFORM pg_logical_emit_message(true, 'flatwal.snapshot_request', request_id || ' ' || tbl::oid);
    RETURN request_id;
END
$$;

-- DDL that rewrites a table (ADD COLUMN with a volatile default such as
-- random() or clock_timestamp(), ALTER COLUMN … TYPE with a conversion, SET
-- ACCESS METHOD) gives its rows values that no change in the WAL carries.
-- A captured table (or the captured table a rewritten partition is published
-- as) is then snapshotted again on demand, in the DDL's own transaction, so
-- consumers get the new values; one without a key cannot be, and says so.
CREATE FUNCTION flatwal.on_table_rewrite() RETURNS event_trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    rewritten regclass := pg_event_trigger_table_rewrite_oid();
    captured regclass;
BEGIN
    SELECT s.relid INTO captured FROM flatwal.source_tables s
     WHERE s.capture_enabled AND (s.relid = rewritten OR s.relid IN (SELECT relid FROM pg_partition_ancestors(rewritten)))
     ORDER BY s.relid = rewritten LIMIT 1;
    IF captured IS NULL THEN
        RETURN;
    ELSIF flatwal.key_columns(captured) = '{}' THEN
        RAISE WARNING 'flatwal: % is rewritten, and its new values reach no consumer', captured
            USING DETAIL = 'A rewrite changes rows without any change in the WAL; a table without a key cannot be snapshotted on demand.',
                  HINT = 'Add a primary key and call flatwal.request_snapshot(), or resynchronise the consumers.';
    ELSE
        PERFORM flatwal.request_snapshot(captured);
    END IF;
END
$$;

CREATE EVENT TRIGGER flatwal_table_rewrite ON table_rewrite
    EXECUTE FUNCTION flatwal.on_table_rewrite();

COMMENT ON FUNCTION flatwal.request_snapshot(regclass) IS
    'Asks flatwal-shipper to send every row of a captured table again (op = read) while streaming continues. '
    'Its transaction commits with synchronous_commit = remote_apply.';

-- One chunk of an on-demand snapshot: up to chunk_rows rows after after_key
-- and before before_key (message keys such as [42] or [7,"eu"]; NULL for no
-- bound), in key order, encoded by read_frame() with the low watermark as
-- commit_lsn. The shipper's readers read key ranges of one large table at once.
CREATE FUNCTION flatwal.snapshot_chunk(tbl regclass, after_key jsonb, chunk_rows integer, low_watermark pg_lsn,
                                       before_key jsonb DEFAULT NULL)
    RETURNS SETOF bytea LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    keys text[] := flatwal.key_columns(tbl);
    key_list text := (SELECT string_agg(quote_ident(k), ', ' ORDER BY i) FROM unnest(keys) WITH ORDINALITY AS u(k, i));
    conditions text[] := '{}';
    bound record;
BEGIN
    IF keys = '{}' THEN
        RAISE EXCEPTION 'cannot snapshot % in chunks: it has no key', tbl USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    -- A bound compares as the key's own types: the message key becomes a row of the table.
    FOR bound IN SELECT * FROM (VALUES ('>', after_key), ('<', before_key)) AS b(op, key) WHERE b.key IS NOT NULL LOOP
        conditions := conditions || format('(%s) %s (SELECT %s FROM jsonb_populate_record(NULL::%s, %L))',
                                           key_list, bound.op, key_list, tbl,
                                           (SELECT jsonb_object_agg(k, bound.key->(i::int - 1))
                                              FROM unnest(keys) WITH ORDINALITY AS u(k, i)));
    END LOOP;
    -- A partitioned table is read with its partitions (its rows live there); any other without its children.
    -- The row is passed as t.*: a bare t would be a column of that name, if the table has one.
    RETURN QUERY EXECUTE format(
        'SELECT flatwal.read_frame(%L::regclass, t.*, row_number() OVER (ORDER BY %s), %L) FROM %s %s t %s ORDER BY %s LIMIT %s',
        tbl, key_list, low_watermark,
        CASE WHEN (SELECT relkind FROM pg_class WHERE oid = tbl) = 'p' THEN '' ELSE 'ONLY' END,
        tbl, CASE WHEN conditions = '{}' THEN '' ELSE 'WHERE ' || array_to_string(conditions, ' AND ') END,
        key_list, chunk_rows);
END
$$;
