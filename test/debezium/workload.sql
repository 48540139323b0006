-- The golden workload's changes (after types.sql and the slots).
SET client_min_messages = warning;
SET lc_monetary = 'C';
INSERT INTO typed VALUES (
    1, -32768, 2147483647, -9223372036854775808, 1.5, 0.1, true, 'héllo "world"', 'abc', 'ab', 'nm',
    '\x00ff10', 12.50, 123456789012345678901234567890.000000001, '2024-02-29', '23:59:59.999999',
    '12:34:56-05:30', '2024-01-02 03:04:05.678', '2024-01-02 03:04:05.678+02', '1 year 2 mons -3 days 04:05:06.5',
    'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a": [1, 2.5, null], "b": "x"}', '{"b": 1, "a": true}',
    '{1,NULL,3}', '{"x y",NULL,"q\"uote"}', 'happy', 7, ROW(1, 'one'), '[1,5)', '192.168.0.1/24', '(1.5,2)');
INSERT INTO typed (id, f4, f8, num, numfree, d, ts, tstz, ia, ta, iv)
VALUES (2, 'NaN', '-Infinity', 'NaN', 'Infinity', 'infinity', '-infinity', 'infinity', '{{1,2},{3,4}}', '{}',
        '-1 mons -02:00:00.25'),
       (3, '-Infinity', 'Infinity', -0.01, -0.5, '0044-03-15 BC', '1969-12-31 23:59:59.999999',
        '1970-01-01 00:00:00+00', '[0:1]={5,6}', '{""}', '00:00:00');
INSERT INTO typed (id) VALUES (4);
INSERT INTO special VALUES
    (1, '1', '101', '000100000010', '1', '12.34', '10:11:12.345', '2024-05-06 07:08:09.123', '2024-05-06 07:08:09',
     'a=>1, "b c"=>NULL, "q\"t"=>"x"',
     -- md5 text does not compress below TOAST's threshold: both values are stored out of line.
     (SELECT string_agg(md5(i::text), '') FROM generate_series(1, 300) i),
     (SELECT decode(string_agg(md5(i::text), ''), 'hex') FROM generate_series(1, 300) i)),
    (2, '0', '010', '111111111111', '', '-1234567.89', '00:00:00', '1970-01-01', '1969-12-31 23:59:59', '', 'x', '\x');
-- An update that leaves the TOASTed values alone: Debezium's placeholder.
UPDATE special SET money_v = '1.00' WHERE id = 1;
-- Without a key change, then with one (a delete, a tombstone and a create).
UPDATE typed SET t = 'changed' WHERE id = 4;
UPDATE typed SET id = 5 WHERE id = 4;
DELETE FROM typed WHERE id = 3;
INSERT INTO keyless VALUES ('first');
DELETE FROM keyless;
INSERT INTO full_image VALUES (1, 'one', 10);
UPDATE full_image SET qty = 11 WHERE id = 1;
DELETE FROM full_image WHERE id = 1;
BEGIN;
INSERT INTO full_image VALUES (2, 'two', 20);
SELECT 'msg' FROM pg_logical_emit_message(true, 'audit', 'who=me');
COMMIT;
SELECT 'msg' FROM pg_logical_emit_message(false, 'ops', '\x00ff'::bytea);
TRUNCATE full_image;
