-- numeric and jsonb values travel as the text numeric_out and jsonb_out
-- print, but the plugin writes that text from the stored bytes itself
-- (plugin/stored_text.cpp). Here a broad corpus goes through a slot and each
-- frame is checked against PostgreSQL's own output functions, byte for byte.
CREATE TABLE regress.stored_text (id int PRIMARY KEY, n numeric, j jsonb);
SELECT flatwal.add_table('regress.stored_text');
SELECT 'init' FROM pg_create_logical_replication_slot('stored_text', 'flatwal');

-- numerics: special values, zeros with scale, digit-group edges, short and
-- long stored headers (weight beyond ±63 or scale beyond 63), and random ones.
INSERT INTO regress.stored_text (id, n)
SELECT row_number() OVER (), v FROM unnest(ARRAY[
    'NaN', 'Infinity', '-Infinity', '0', '0.000', '-0.0', '1', '-1', '9999', '10000', '10001', '0.0001',
    '0.00001', '-0.9999', '99999999.99999999', '123456789012345678901234567890.123456789', '1e-100',
    '-1e100', '1e300', '-1e-300', '0.1e-63', '1e63', '1e64', '1e-64', '12.50', '1.000000000000000000000000000001',
    '100000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000.5'
]::numeric[]) AS v;
SELECT setseed(0.25);
INSERT INTO regress.stored_text (id, n)
SELECT 100 + g, round(((random() - 0.5) * 10 ^ (g % 61 - 20))::numeric, g % 37)
  FROM generate_series(1, 3000) g;

-- jsonb: every scalar kind, escapes, empty and nested containers, objects
-- long enough that JEntries hold offsets (every 32nd), numbers of all
-- shapes, and a document nested deeper than the writer's limit (jsonb_out's
-- text is used for it).
INSERT INTO regress.stored_text (id, j)
SELECT 5000 + row_number() OVER (), v FROM unnest(ARRAY[
    '{}', '[]', '"s"', '1', '-0', '1e5', '1.0e-3', '-12.300', 'null', 'true', 'false', '""',
    '"\b\f\n\r\t\"\\\/ \u0001 \u001f \u007f é ✓ 😀"', '{"\"quoted\" key\n": ["\u0002"]}',
    '{"a": {"b": {"c": [1, [2, [3, {}]], []]}}, "aa": null, "": true}',
    '[1.5, -2, 3e-10, 123456789012345678901234567890.0001, "x", null, false, {"k": []}]',
    '{"b": 1, "a": 2, "bb": 3, "ab": 4}'
]::jsonb[]) AS v;
INSERT INTO regress.stored_text (id, j)
SELECT 5100 + n, (SELECT jsonb_object_agg('key' || k, CASE k % 4 WHEN 0 THEN to_jsonb(k * 1.25)
                                                          WHEN 1 THEN to_jsonb(repeat('v', k))
                                                          WHEN 2 THEN jsonb_build_array(k, -k, 'a"b')
                                                          ELSE 'null' END)
                    FROM generate_series(1, n) k)
  FROM unnest(ARRAY[1, 31, 32, 33, 64, 100, 300]) n;
INSERT INTO regress.stored_text (id, j)
SELECT 5500 + g, jsonb_build_object('id', g, 'price', round((random() * 1000)::numeric, g % 5),
                                    'tags', jsonb_build_array('t' || g, g % 3 = 0, NULL),
                                    'nested', jsonb_build_object('w', g * -1.5, 'e', '{}'::jsonb))
  FROM generate_series(1, 1000) g;
INSERT INTO regress.stored_text (id, j)
SELECT 9000 + d, (repeat('[', d) || '"deep"' || repeat(']', d))::jsonb FROM unnest(ARRAY[255, 256, 257, 300]) d;

CREATE TEMP TABLE stored_frames AS
SELECT f AS frame, flatwal.to_json(f)::jsonb AS doc
  FROM pg_logical_slot_get_binary_changes('stored_text', NULL, NULL) AS c, LATERAL flatwal.frames(c.data) AS f;
CREATE TEMP VIEW stored_sent AS
SELECT (doc->'after'->0->>'int')::int AS id, frame, doc->'after'->1 AS n, doc->'after'->2 AS j
  FROM stored_frames WHERE doc->>'event' = 'change';

-- Every row arrived.
SELECT count(*) AS rows_sent, (SELECT count(*) FROM regress.stored_text) AS rows_written FROM stored_sent;
-- numeric: the sent text is numeric_out's (no rows).
SELECT s.id, s.n::text AS numeric_out, d.n AS sent
  FROM regress.stored_text s JOIN stored_sent d USING (id)
 WHERE s.n IS NOT NULL AND d.n->>'numeric' IS DISTINCT FROM s.n::text;
-- jsonb: each frame holds jsonb_out's text byte for byte, and it parses to the stored value (no rows).
SELECT s.id, s.j::text AS jsonb_out
  FROM regress.stored_text s JOIN stored_sent d USING (id)
 WHERE s.j IS NOT NULL
   AND (position(convert_to(s.j::text, 'UTF8') IN d.frame) = 0 OR d.j->'json' IS DISTINCT FROM s.j);
-- NULLs stay NULL (JSON null in to_json).
SELECT (SELECT count(*) FROM stored_sent WHERE n = 'null') AS numeric_nulls_sent,
       (SELECT count(*) FROM regress.stored_text WHERE n IS NULL) AS numeric_nulls,
       (SELECT count(*) FROM stored_sent WHERE j = 'null') AS jsonb_nulls_sent,
       (SELECT count(*) FROM regress.stored_text WHERE j IS NULL) AS jsonb_nulls;

SELECT 'dropped' FROM pg_drop_replication_slot('stored_text');
