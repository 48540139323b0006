-- Column exclusion and masking (flatwal.set_columns): an excluded value never
-- leaves the database, a masked one is sent as hex(HMAC-SHA256(mask key,
-- value as text)) declared as text; the Schema frame says which, and the
-- change is a new schema version. Streaming and snapshots alike.
CREATE EXTENSION IF NOT EXISTS pgcrypto;  -- only to check the hash independently
CREATE TABLE regress.customers (id int PRIMARY KEY, email text, card_number text, age int, note text);
SELECT flatwal.add_table('regress.customers');
SELECT 'init' FROM pg_create_logical_replication_slot('columns', 'flatwal');

INSERT INTO regress.customers VALUES (1, 'ann@example.com', '4111-1111-1111-1111', 31, 'before');
SELECT flatwal.set_columns('regress.customers', exclude => '{card_number}', mask => '{email,age}') AS version;
INSERT INTO regress.customers VALUES (2, 'bob@example.com', '5500-0000-0000-0004', 42, 'after');
UPDATE regress.customers SET note = 'updated', card_number = '3400-0000-0000-009' WHERE id = 2;

-- Row 1 was written before: sent whole. From version 2 on: card_number is
-- absent and named in excluded_columns; email and age are text hashes.
SELECT c->>'event' AS event, c->>'version' AS version,
       CASE c->>'event' WHEN 'schema' THEN jsonb_build_object('columns', c->'columns', 'excluded', c->'excluded_columns')::text
                        -- the key is random per database: hashes shown by their shape
                        ELSE regexp_replace((c->'after')::text, '"[0-9a-f]{64}"', '"<64 hex digits>"', 'g') END AS detail
  FROM regress.changes('columns', 'include_transaction', 'false') AS c
 WHERE c->>'event' IN ('schema', 'change');

-- The hash is HMAC-SHA256 of the value's text under flatwal.mask_key, as anyone with the key can check.
INSERT INTO regress.customers VALUES (3, 'cy@example.com', '6011-0000-0000-0004', 7, 'check');
-- (after: id, email, age, note; card_number is not there)
SELECT (c->'after'->1->>'text') = encode(hmac(convert_to('cy@example.com', 'UTF8'), (SELECT key FROM flatwal.mask_key),
                                              'sha256'), 'hex') AS email_hash_matches,
       (c->'after'->2->>'text') = encode(hmac(convert_to('7', 'UTF8'), (SELECT key FROM flatwal.mask_key), 'sha256'), 'hex')
           AS age_hash_matches,
       jsonb_array_length(c->'after') AS columns_sent
  FROM regress.changes('columns', 'include_transaction', 'false') AS c
 WHERE c->>'event' = 'change';

-- The card numbers are in no byte the slot sends (streamed) ...
INSERT INTO regress.customers VALUES (4, 'di@example.com', '6011-9999-9999-9999', 50, 'raw');
SELECT count(*) AS frames,
       count(*) FILTER (WHERE position(convert_to('6011-9999', 'UTF8') IN data) > 0
                           OR position(convert_to('di@example.com', 'UTF8') IN data) > 0) AS frames_with_secrets
  FROM pg_logical_slot_get_binary_changes('columns', NULL, NULL) AS c;
-- ... nor in what a snapshot reads.
SELECT count(*) FILTER (WHERE position(convert_to(c.card_number, 'UTF8')
                                       IN flatwal.read_frame('regress.customers'::regclass, c, 1, '0/1')) > 0)
           AS snapshot_frames_with_card_numbers,
       bool_and(flatwal.to_json(flatwal.read_frame('regress.customers'::regclass, c, 1, '0/1'))->'after'->1->>'text'
                = encode(hmac(convert_to(c.email, 'UTF8'), (SELECT key FROM flatwal.mask_key), 'sha256'), 'hex'))
           AS snapshot_emails_masked
  FROM regress.customers c;
SELECT jsonb_path_query_array(regress.mask(flatwal.to_json(flatwal.schema_frame('regress.customers'))),
                              '$.columns[*] ? (@.masked == true).name') AS masked,
       regress.mask(flatwal.to_json(flatwal.schema_frame('regress.customers')))->'excluded_columns' AS excluded;

-- The versions record the policy; lifting it is another version.
SELECT flatwal.set_columns('regress.customers') AS version;
SELECT version, compatibility, definition->'excluded_columns' AS excluded,
       jsonb_path_query_array(definition, '$.columns[*] ? (@.masked == true).name') AS masked
  FROM flatwal.schema_versions WHERE relid = 'regress.customers'::regclass ORDER BY version;

-- Masking changes what consumers read: a FULL table refuses it.
SELECT flatwal.set_compatibility('regress.customers', 'FULL');
SELECT flatwal.set_columns('regress.customers', mask => '{note}');
SELECT masked_columns FROM flatwal.source_tables WHERE relid = 'regress.customers'::regclass;
SELECT flatwal.set_compatibility('regress.customers', 'NONE');

-- A policy follows its column through renames: the renamed columns stay
-- excluded and masked, in the rename's own transaction.
SELECT flatwal.set_columns('regress.customers', exclude => '{card_number}', mask => '{email}') AS version;
SELECT 'init' FROM pg_create_logical_replication_slot('renames', 'flatwal');
BEGIN;
ALTER TABLE regress.customers RENAME COLUMN card_number TO card;
ALTER TABLE regress.customers RENAME COLUMN email TO mail;
INSERT INTO regress.customers VALUES (5, 'ed@example.com', '6011-7777-7777-7777', 60, 'renamed in the same transaction');
COMMIT;
INSERT INTO regress.customers VALUES (6, 'fay@example.com', '6011-8888-8888-8888', 61, 'renamed before');
SELECT excluded_columns, masked_columns FROM flatwal.source_tables WHERE relid = 'regress.customers'::regclass;
SELECT count(*) AS frames,
       count(*) FILTER (WHERE position(convert_to('6011-7777', 'UTF8') IN data) > 0
                           OR position(convert_to('6011-8888', 'UTF8') IN data) > 0
                           OR position(convert_to('ed@example.com', 'UTF8') IN data) > 0
                           OR position(convert_to('fay@example.com', 'UTF8') IN data) > 0) AS frames_with_secrets
  FROM pg_logical_slot_get_binary_changes('renames', NULL, NULL) AS c;
SELECT pg_drop_replication_slot('renames');
-- Renaming an excluded column changes the definition like any rename: FULL refuses it.
SELECT flatwal.set_compatibility('regress.customers', 'FULL');
ALTER TABLE regress.customers RENAME COLUMN card TO card_no;
SELECT flatwal.set_compatibility('regress.customers', 'NONE');
-- A key over a protected column would put it in every message key: refused.
CREATE UNIQUE INDEX customers_card ON regress.customers (card);
ALTER TABLE regress.customers ALTER COLUMN card SET NOT NULL;
ALTER TABLE regress.customers REPLICA IDENTITY USING INDEX customers_card;
ALTER TABLE regress.customers DROP CONSTRAINT customers_pkey, ADD PRIMARY KEY (mail);
SELECT key_columns FROM flatwal.source_tables WHERE relid = 'regress.customers'::regclass;
-- A dropped protected column leaves the policy (a new column of that name is not protected by it).
ALTER TABLE regress.customers DROP COLUMN card;
SELECT excluded_columns, masked_columns FROM flatwal.source_tables WHERE relid = 'regress.customers'::regclass;

-- Bad input.
SELECT flatwal.set_columns('regress.customers', exclude => '{nope}');
SELECT flatwal.set_columns('regress.customers', mask => '{id}');
SELECT flatwal.set_columns('regress.customers', exclude => '{note}', mask => '{note}');
CREATE TABLE regress.secretive (id int PRIMARY KEY, secret text);
SELECT flatwal.set_columns('regress.secretive', exclude => '{secret}');
-- The key is the extension owner's: others cannot read it.
SELECT has_table_privilege('public', 'flatwal.mask_key', 'SELECT') AS public_can_read_key;

SELECT pg_drop_replication_slot('columns');
DROP TABLE regress.customers, regress.secretive;
DROP EXTENSION pgcrypto;
