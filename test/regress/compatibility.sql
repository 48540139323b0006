-- Schema compatibility modes are enforced at DDL time: a change that breaks
-- the table's mode is refused in its own transaction (no new version is
-- recorded, the table is unchanged); a compatible one records a version as
-- always. Every mode against every kind of change, each on a fresh table.
CREATE FUNCTION regress.try_change(mode text, change text) RETURNS text
    LANGUAGE plpgsql AS $$
DECLARE
    versions_before int;
    versions_after int;
BEGIN
    SET LOCAL client_min_messages = warning;
    DROP TABLE IF EXISTS regress.compat;
    CREATE TABLE regress.compat (id int PRIMARY KEY, a int NOT NULL, b text);
    PERFORM flatwal.add_table('regress.compat');
    PERFORM flatwal.set_compatibility('regress.compat', mode);
    SELECT count(*) INTO versions_before FROM flatwal.schema_versions WHERE relid = 'regress.compat'::regclass;
    BEGIN
        EXECUTE 'ALTER TABLE regress.compat ' || change;
    EXCEPTION WHEN invalid_table_definition THEN
        SELECT count(*) INTO versions_after FROM flatwal.schema_versions WHERE relid = 'regress.compat'::regclass;
        RETURN 'refused' || CASE WHEN versions_after <> versions_before THEN ' (but a version was recorded!)' ELSE '' END;
    END;
    SELECT count(*) INTO versions_after FROM flatwal.schema_versions WHERE relid = 'regress.compat'::regclass;
    RETURN CASE WHEN versions_after = versions_before + 1 THEN 'ok' ELSE 'ok (no version recorded!)' END;
END
$$;

SELECT c.kind,
       regress.try_change('BACKWARD', c.ddl) AS "BACKWARD",
       regress.try_change('FORWARD', c.ddl) AS "FORWARD",
       regress.try_change('FULL', c.ddl) AS "FULL",
       regress.try_change('NONE', c.ddl) AS "NONE"
  FROM (VALUES (1, 'add a nullable column', 'ADD COLUMN c text'),
               (2, 'add NOT NULL with a default', 'ADD COLUMN c int NOT NULL DEFAULT 0'),
               (3, 'add NOT NULL without default', 'ADD COLUMN c int NOT NULL'),
               (4, 'drop a column', 'DROP COLUMN b'),
               (5, 'change a column''s type', 'ALTER COLUMN a TYPE bigint'),
               (6, 'rename a column', 'RENAME COLUMN b TO b2'),
               (7, 'make a column NOT NULL', 'ALTER COLUMN b SET NOT NULL'),
               (8, 'make a column nullable', 'ALTER COLUMN a DROP NOT NULL'),
               (9, 'change the key', 'DROP CONSTRAINT compat_pkey, ADD PRIMARY KEY (id, a)'))
       AS c(n, kind, ddl)
 ORDER BY c.n;

-- What the one refusing a DDL reads: the rule, the version it breaks against, how to proceed.
SELECT regress.try_change('NONE', 'ADD COLUMN c text');
SELECT flatwal.set_compatibility('regress.compat', 'full');
\set VERBOSITY default
ALTER TABLE regress.compat DROP COLUMN b, ALTER COLUMN a TYPE bigint;
\set VERBOSITY terse
-- The table and its versions are as they were.
SELECT version, compatibility FROM flatwal.schema_versions WHERE relid = 'regress.compat'::regclass ORDER BY version;
SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attnum) AS columns
  FROM pg_attribute WHERE attrelid = 'regress.compat'::regclass AND attnum > 0 AND NOT attisdropped;
-- Changed deliberately, the same DDL goes through and records its compatibility.
SELECT flatwal.set_compatibility('regress.compat', 'NONE');
ALTER TABLE regress.compat DROP COLUMN b, ALTER COLUMN a TYPE bigint;
SELECT version, compatibility FROM flatwal.schema_versions WHERE relid = 'regress.compat'::regclass ORDER BY version;

-- Bad input.
SELECT flatwal.set_compatibility('regress.compat', 'SIDEWAYS');
SELECT flatwal.set_compatibility('regress.compat', NULL);
CREATE TABLE regress.not_captured (id int PRIMARY KEY);
SELECT flatwal.set_compatibility('regress.not_captured', 'FULL');
SELECT compatibility_mode FROM flatwal.source_tables WHERE relid = 'regress.compat'::regclass;

DROP TABLE regress.compat, regress.not_captured;
DROP FUNCTION regress.try_change(text, text);
