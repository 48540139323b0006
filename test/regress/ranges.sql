-- Values at the edges of every date/time range PostgreSQL accepts round-trip
-- exactly. Timestamps count microseconds since 1970 on the wire, which cannot
-- hold PostgreSQL's last ~30 years (from 294247-01-10 04:00:54.775807): those
-- go as text_output, the rest as typed values; nothing wraps around.
SET timezone = 'UTC';
CREATE TABLE regress.ranges (id int PRIMARY KEY, ts timestamp, tstz timestamptz, d date, tm time, iv interval);
SELECT flatwal.add_table('regress.ranges');
SELECT 'init' FROM pg_create_logical_replication_slot('ranges', 'flatwal');
INSERT INTO regress.ranges VALUES
    (1, '4714-11-24 00:00:00 BC', '4714-11-24 00:00:00+00 BC', '4714-11-24 BC', '00:00', '-178000000 years'),
    (2, '294247-01-10 04:00:54.775806', '294247-01-10 04:00:54.775806+00', '5874897-12-31', '24:00', '178000000 years'),
    (3, '294247-01-10 04:00:54.775807', '294247-01-10 04:00:54.775807+00', 'infinity', '23:59:59.999999',
        '-2147483648 days -2562047788:00:54.775807'),
    (4, '294276-12-31 23:59:59.999999', '294276-12-31 23:59:59.999999+00', '-infinity', NULL,
        '2147483647 days 2562047788:00:54.775807'),
    (5, 'infinity', '-infinity', NULL, NULL, NULL);
SELECT c->>'op' AS op, c->'after' AS after
  FROM regress.changes('ranges') AS c WHERE c->>'event' = 'change';
SELECT pg_drop_replication_slot('ranges');
RESET timezone;

-- to_json shows values exactly as the frame holds them: float -0, and json
-- text with \u0000 or a repeated key (jsonb could hold none of these).
CREATE TABLE regress.exact (id int PRIMARY KEY, f float8, j json);
SELECT flatwal.add_table('regress.exact');
SELECT 'init' FROM pg_create_logical_replication_slot('exact', 'flatwal');
INSERT INTO regress.exact VALUES (1, '-0', '{"a":"\u0000"}'), (2, '0', '{"a":1,"a":2}');
-- (As text: json operators would decode the \u0000 and refuse it.)
SELECT regexp_replace(j::text, '^.*"after":', '') AS after
  FROM pg_logical_slot_get_binary_changes('exact', NULL, NULL) AS s, LATERAL flatwal.frames(s.data) AS f,
       LATERAL flatwal.to_json(f) AS j
 WHERE position('"event":"change"' IN j::text) > 0;
SELECT pg_drop_replication_slot('exact');
