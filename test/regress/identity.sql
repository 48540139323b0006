-- Before images under every replica identity, a table without a key, and an
-- update that changes the key.
CREATE TABLE regress.id_default (id int PRIMARY KEY, v text, w int);
CREATE TABLE regress.id_full (id int PRIMARY KEY, v text, w int);
ALTER TABLE regress.id_full REPLICA IDENTITY FULL;
CREATE TABLE regress.id_index (id int PRIMARY KEY, code text NOT NULL, v text);
CREATE UNIQUE INDEX id_index_code ON regress.id_index (code);
ALTER TABLE regress.id_index REPLICA IDENTITY USING INDEX id_index_code;
CREATE TABLE regress.id_nothing (id int PRIMARY KEY, v text);
ALTER TABLE regress.id_nothing REPLICA IDENTITY NOTHING;
CREATE TABLE regress.no_key (a int, b text);
CREATE TABLE regress.two_keys (region text, n int, v text, PRIMARY KEY (n, region));

SELECT flatwal.add_table(t) FROM unnest(ARRAY['regress.id_default', 'regress.id_full', 'regress.id_index',
    'regress.id_nothing', 'regress.two_keys']::regclass[]) AS t;
SELECT flatwal.add_table('regress.no_key');  -- warns: no old key for updates and deletes
SELECT relid, key_columns FROM flatwal.source_tables
 WHERE relid::text LIKE 'regress.id_%' OR relid::text IN ('regress.no_key', 'regress.two_keys') ORDER BY relid::text;

SELECT 'init' FROM pg_create_logical_replication_slot('identity', 'flatwal');

INSERT INTO regress.id_default VALUES (1, 'a', 10);
UPDATE regress.id_default SET v = 'b' WHERE id = 1;           -- key unchanged: old_image key_unchanged, no before image
UPDATE regress.id_default SET id = 2 WHERE id = 1;            -- key changed: the before image holds the old key
DELETE FROM regress.id_default WHERE id = 2;

INSERT INTO regress.id_full VALUES (1, 'a', 10);
UPDATE regress.id_full SET v = NULL WHERE id = 1;
DELETE FROM regress.id_full;

INSERT INTO regress.id_index VALUES (1, 'c1', 'a');
UPDATE regress.id_index SET v = 'b';
UPDATE regress.id_index SET code = 'c2';
DELETE FROM regress.id_index;

INSERT INTO regress.id_nothing VALUES (1, 'a');
UPDATE regress.id_nothing SET v = 'b';
DELETE FROM regress.id_nothing;

INSERT INTO regress.no_key VALUES (1, 'a');
UPDATE regress.no_key SET b = 'b';
DELETE FROM regress.no_key;

INSERT INTO regress.two_keys VALUES ('eu', 1, 'x');
DELETE FROM regress.two_keys;

SELECT * FROM regress.changes('identity');
SELECT pg_drop_replication_slot('identity');
