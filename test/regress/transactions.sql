-- Transaction boundaries: multi-statement, rolled back, savepoints,
-- truncate, logical messages, and transactions touching no captured table.
CREATE TABLE regress.acct (id int PRIMARY KEY, balance int);
CREATE TABLE regress.ledger (id serial PRIMARY KEY, acct int REFERENCES regress.acct, amount int);
CREATE TABLE regress.uncaptured (id int PRIMARY KEY);
SELECT flatwal.add_table('regress.acct'), flatwal.add_table('regress.ledger');
SELECT 'init' FROM pg_create_logical_replication_slot('txn', 'flatwal');

BEGIN;
INSERT INTO regress.acct VALUES (1, 100), (2, 0);
UPDATE regress.acct SET balance = balance - 10 WHERE id = 1;
UPDATE regress.acct SET balance = balance + 10 WHERE id = 2;
COMMIT;

BEGIN;                                   -- rolled back: nothing emitted
INSERT INTO regress.acct VALUES (3, 1);
ROLLBACK;

INSERT INTO regress.uncaptured VALUES (1);  -- touches no captured table: no frames at all

BEGIN;
INSERT INTO regress.acct VALUES (4, 4);
SAVEPOINT s1;
INSERT INTO regress.acct VALUES (5, 5);  -- rolled back to s1: not emitted
ROLLBACK TO s1;
SAVEPOINT s2;
INSERT INTO regress.acct VALUES (6, 6);  -- released: emitted
RELEASE s2;
COMMIT;

BEGIN;
SELECT 'm1' FROM pg_logical_emit_message(true, 'outbox.orders', '{"order": 1}');
SELECT 'm2' FROM pg_logical_emit_message(false, 'heartbeat', 'beat');
INSERT INTO regress.ledger (acct, amount) VALUES (1, -10);
COMMIT;

TRUNCATE regress.ledger, regress.acct RESTART IDENTITY;
TRUNCATE regress.uncaptured;             -- not captured: no frames

SELECT * FROM regress.changes('txn');

-- The seq numbers a transaction's changes carry are 1, 2, 3, ...
INSERT INTO regress.acct VALUES (7, 7), (8, 8), (9, 9);
SELECT array_agg((c->>'seq')::int) AS seqs FROM regress.changes('txn') AS c WHERE c->>'event' = 'change';
SELECT pg_drop_replication_slot('txn');
