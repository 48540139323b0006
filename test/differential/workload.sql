-- The differential workload: every change here is decoded by contrib's
-- test_decoding and by flatwal, and check.py compares them value by value.
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE wide (
    id int PRIMARY KEY, i2 smallint, i8 bigint, f4 real, f8 double precision, b boolean, t text,
    vc varchar(20), bp char(5), by bytea, num numeric(14,4), d date, tm time, ttz timetz, ts timestamp,
    tstz timestamptz, iv interval, u uuid, j json, jb jsonb, ia int[], ta text[], m mood, rng int4range, pt point
);
CREATE TABLE full_row (id int PRIMARY KEY, v text, n numeric);
ALTER TABLE full_row REPLICA IDENTITY FULL;
CREATE TABLE docs (id int PRIMARY KEY, body text, note text);
ALTER TABLE docs ALTER COLUMN body SET STORAGE EXTERNAL;
CREATE TABLE pairs (a text, b int, v text, PRIMARY KEY (a, b));
SELECT flatwal.add_table(t) FROM unnest('{wide,full_row,docs,pairs}'::regclass[]) t;
SELECT 'td' FROM pg_create_logical_replication_slot('differential_td', 'test_decoding');
SELECT 'fw' FROM pg_create_logical_replication_slot('differential_fw', 'flatwal');

INSERT INTO wide
SELECT g, (g % 30000)::smallint, g * 1000003::bigint, g / 7.0, g / 3.0, g % 2 = 0, 'row ' || g || E' with \'quote\' and \\ backslash',
       left('v' || g, 20), 'c' || (g % 10), decode(lpad(to_hex(g), 8, '0'), 'hex'), g * 1.2345,
       date '2000-01-01' + g, time '00:00' + g * interval '1 minute', timetz '12:00+03' - g * interval '1 second',
       timestamp '1999-12-31 23:00' + g * interval '17 minutes', timestamptz '2024-06-30 12:00+00' - g * interval '1 day',
       make_interval(months => g % 13, days => g % 31, secs => g * 0.25), md5(g::text)::uuid,
       json_build_object('g', g, 'name', 'n' || g), jsonb_build_object('g', g, 'arr', jsonb_build_array(g, null)),
       ARRAY[g, NULL, -g], ARRAY['a' || g, 'b "q"', NULL], (ARRAY['sad','ok','happy'])[1 + g % 3]::mood,
       int4range(g, g + 10), point(g, -g)
  FROM generate_series(1, 300) g;
INSERT INTO wide (id, f4, f8, num, d, ts, tstz, ia, ta) VALUES
    (1000, 'NaN', '-Infinity', 'NaN', 'infinity', '-infinity', 'infinity', '{{1,2},{3,4}}', '{}'),
    (1001, 'Infinity', 'NaN', -0.0001, '1999-01-08 BC', '0001-01-01 00:00', '1970-01-01 00:00:00.000001+00',
     '[0:2]={7,8,9}', '{""}'),
    (1002, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);

BEGIN;
UPDATE wide SET t = t || ' updated', num = num * 2 WHERE id % 3 = 0;
UPDATE wide SET id = id + 10000 WHERE id % 50 = 0;          -- key changes
DELETE FROM wide WHERE id % 7 = 0;
COMMIT;

BEGIN;
INSERT INTO full_row SELECT g, 'v' || g, g / 3.0 FROM generate_series(1, 50) g;
SAVEPOINT s;
UPDATE full_row SET v = NULL;
ROLLBACK TO s;
UPDATE full_row SET v = upper(v) WHERE id % 2 = 0;
DELETE FROM full_row WHERE id > 40;
COMMIT;

BEGIN;
INSERT INTO wide (id, t) VALUES (5000, 'rolled back');
ROLLBACK;

INSERT INTO docs SELECT g, repeat(chr(65 + g % 26), 8000 + g), 'n' || g FROM generate_series(1, 20) g;
UPDATE docs SET note = 'touched' WHERE id <= 10;            -- body unchanged: not in the WAL
UPDATE docs SET body = repeat('z', 9000) WHERE id = 15;
DELETE FROM docs WHERE id = 20;

INSERT INTO pairs SELECT chr(97 + g % 5), g, 'p' || g FROM generate_series(1, 100) g;
UPDATE pairs SET b = b + 1000 WHERE a = 'a';
DELETE FROM pairs WHERE a = 'b';
TRUNCATE pairs;
INSERT INTO pairs VALUES ('after', 1, 'truncate');
