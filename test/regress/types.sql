-- Every natively typed column kind, with NULLs and edge values, and the
-- text-output fallback for everything else.
CREATE TYPE regress.mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN regress.positive AS integer CHECK (VALUE > 0);
CREATE TYPE regress.pair AS (a int, b text);

CREATE TABLE regress.typed (
    id      int PRIMARY KEY,
    i2      smallint,
    i4      integer,
    i8      bigint,
    f4      real,
    f8      double precision,
    b       boolean,
    t       text,
    vc      varchar(10),
    bp      char(4),
    nm      name,
    by      bytea,
    num     numeric(12,2),
    numfree numeric,
    d       date,
    tm      time,
    ttz     timetz,
    ts      timestamp,
    tstz    timestamptz,
    iv      interval,
    u       uuid,
    j       json,
    jb      jsonb,
    ia      int[],
    ta      text[],
    m       regress.mood,
    dom     regress.positive,
    comp    regress.pair,
    rng     int4range,
    inet_v  inet,
    pt      point
);
SELECT flatwal.add_table('regress.typed');
SELECT 'init' FROM pg_create_logical_replication_slot('types', 'flatwal');

INSERT INTO regress.typed VALUES (
    1, -32768, 2147483647, -9223372036854775808, 1.5, 0.1, true, 'héllo "world"', 'abc', 'ab', 'nm',
    '\x00ff10', 12.50, 123456789012345678901234567890.000000001, '2024-02-29', '23:59:59.999999',
    '12:34:56-05:30', '2024-01-02 03:04:05.678', '2024-01-02 03:04:05.678+02', '1 year 2 mons -3 days 04:05:06.5',
    'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a": [1, 2.5, null], "b": "x"}', '{"b": 1, "a": true}',
    '{1,NULL,3}', '{"x y",NULL,"q\"uote"}', 'happy', 7, ROW(1, 'one'), '[1,5)', '192.168.0.1/24', '(1.5,2)');

-- Special values: ±infinity, NaN, empty and multi-dimensional arrays, BC dates.
INSERT INTO regress.typed (id, f4, f8, num, numfree, d, ts, tstz, ia, ta)
VALUES (2, 'NaN', '-Infinity', 'NaN', 'Infinity', 'infinity', '-infinity', 'infinity', '{{1,2},{3,4}}', '{}'),
       (3, '-Infinity', 'Infinity', -0.01, '-Infinity', '0044-03-15 BC', '1969-12-31 23:59:59.999999',
        '1970-01-01 00:00:00+00', '[0:1]={5,6}', '{""}');

-- Every column NULL except the key.
INSERT INTO regress.typed (id) VALUES (4);

CREATE TEMP TABLE typed_frames AS SELECT row_number() OVER () AS n, c FROM regress.changes('types') AS c;
CREATE TEMP VIEW typed_columns AS
SELECT ord AS pos, col FROM typed_frames, jsonb_array_elements(c->'columns') WITH ORDINALITY AS e(col, ord)
 WHERE c->>'event' = 'schema';

-- The schema frame: each column's declared type (user types' OIDs masked).
SELECT pos, col->>'name' AS name, col->>'type' AS type, col->'type_oid' AS type_oid, col->'key' AS key
  FROM typed_columns ORDER BY pos;

-- Every non-NULL value of every row, column by column.
SELECT ch.c->'after'->0->'int' AS id, tc.col->>'name' AS name, a.v AS value
  FROM typed_frames ch
 CROSS JOIN LATERAL jsonb_array_elements(ch.c->'after') WITH ORDINALITY AS a(v, pos)
  JOIN typed_columns tc ON tc.pos = a.pos
 WHERE ch.c->>'event' = 'change' AND a.v <> 'null'
 ORDER BY ch.n, a.pos;

-- SQL NULLs are JSON null, one per NULL column.
SELECT c->'after'->0->'int' AS id,
       (SELECT count(*) FROM jsonb_array_elements(c->'after') AS v WHERE v = 'null') AS nulls
  FROM typed_frames WHERE c->>'event' = 'change' ORDER BY n;

-- The frames around the rows.
SELECT c - 'after' AS frame FROM typed_frames WHERE c->>'event' <> 'schema' ORDER BY n;
SELECT pg_drop_replication_slot('types');
