-- The fields masked elsewhere, checked by their relations: xids match,
-- LSNs grow, each change sits before its commit, commit LSNs agree.
CREATE TABLE regress.lsn_t (id int PRIMARY KEY);
SELECT flatwal.add_table('regress.lsn_t');
SELECT 'init' FROM pg_create_logical_replication_slot('lsns', 'flatwal');
INSERT INTO regress.lsn_t VALUES (1);
BEGIN; INSERT INTO regress.lsn_t VALUES (2); INSERT INTO regress.lsn_t VALUES (3); COMMIT;
UPDATE regress.lsn_t SET id = id + 10;

CREATE TEMP TABLE f AS
SELECT row_number() OVER () AS n, c
  FROM pg_logical_slot_get_binary_changes('lsns', NULL, NULL) AS s, LATERAL flatwal.to_json(s.data) AS c;
CREATE TEMP TABLE tx AS
SELECT b.n AS begin_n, (SELECT min(n) FROM f WHERE n > b.n AND c->>'event' = 'commit') AS commit_n
  FROM f b WHERE b.c->>'event' = 'begin';

SELECT count(*) AS transactions,
       bool_and(cm.c->>'xid' = bg.c->>'xid') AS xids_match,
       bool_and(cm.c->>'commit_lsn' = bg.c->>'final_lsn') AS commit_lsn_is_final_lsn,
       bool_and((cm.c->>'end_lsn')::pg_lsn > (cm.c->>'commit_lsn')::pg_lsn) AS end_after_commit,
       bool_and(cm.c->>'commit_time' = bg.c->>'commit_time') AS times_match,
       bool_and((cm.c->>'commit_time')::timestamptz BETWEEN now() - interval '1 hour' AND now() + interval '1 minute')
           AS commit_time_is_now
  FROM tx JOIN f bg ON bg.n = tx.begin_n JOIN f cm ON cm.n = tx.commit_n;

SELECT count(*) AS changes,
       bool_and(ch.c->>'xid' = bg.c->>'xid') AS change_xid_is_transaction_xid,
       bool_and(ch.c->>'commit_lsn' = bg.c->>'final_lsn') AS change_knows_commit_lsn,
       bool_and((ch.c->>'lsn')::pg_lsn < (bg.c->>'final_lsn')::pg_lsn) AS change_before_commit
  FROM tx JOIN f bg ON bg.n = tx.begin_n JOIN f ch ON ch.n > tx.begin_n AND ch.n < tx.commit_n
 WHERE ch.c->>'event' = 'change';

SELECT bool_and((b.c->>'final_lsn')::pg_lsn > (a.c->>'final_lsn')::pg_lsn) AS commits_in_lsn_order
  FROM f a JOIN f b ON b.n > a.n WHERE a.c->>'event' = 'begin' AND b.c->>'event' = 'begin';
SELECT pg_drop_replication_slot('lsns');
