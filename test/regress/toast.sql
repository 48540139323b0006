-- A large value that an UPDATE leaves alone is not in the WAL: the frame
-- says "unchanged", never a made-up value, and it is distinct from NULL.
CREATE TABLE regress.docs (id int PRIMARY KEY, body text, note text);
ALTER TABLE regress.docs ALTER COLUMN body SET STORAGE EXTERNAL;  -- no compression: always toasted
SELECT flatwal.add_table('regress.docs');
SELECT 'init' FROM pg_create_logical_replication_slot('toast', 'flatwal');

INSERT INTO regress.docs VALUES (1, repeat('x', 10000), 'first');
UPDATE regress.docs SET note = 'second';                       -- body unchanged, not logged
UPDATE regress.docs SET body = repeat('y', 5000), note = NULL;  -- body changed, logged
UPDATE regress.docs SET note = 'third';

SELECT c->>'op' AS op,
       c->'after'->1 ? 'unchanged' AS body_unchanged,
       length(c->'after'->1->>'text') AS body_length,
       left(c->'after'->1->>'text', 3) AS body_start,
       c->'after'->2 AS note
  FROM regress.changes('toast') AS c WHERE c->>'event' = 'change';
SELECT pg_drop_replication_slot('toast');
