-- No input crashes the backend: thousands of corrupted frames and messages
-- go through to_json() and frames(); each either renders or raises an
-- ordinary ERROR, and the session carries on.
CREATE TABLE regress.fuzz (id int PRIMARY KEY, t text, a int[], ts timestamptz, j jsonb);
SELECT flatwal.add_table('regress.fuzz');
SELECT 'init' FROM pg_create_logical_replication_slot('fuzz', 'flatwal');
INSERT INTO regress.fuzz VALUES (1, 'text', '{{1,2},{3,NULL}}', now(), '{"k": [1, 2]}');
UPDATE regress.fuzz SET t = 'other';
CREATE TEMP TABLE seeds AS
SELECT data FROM pg_logical_slot_get_binary_changes('fuzz', NULL, NULL, 'batch_bytes', '0');
SELECT pg_drop_replication_slot('fuzz');

SELECT setseed(0.25);
DO $$
DECLARE
    seed bytea;
    mutated bytea;
    rendered int := 0;
    refused int := 0;
BEGIN
    FOR round IN 1..400 LOOP
        FOR seed IN SELECT data FROM seeds LOOP
            mutated := seed;
            FOR flips IN 1..(1 + floor(random() * 4))::int LOOP
                mutated := set_byte(mutated, floor(random() * length(mutated))::int, floor(random() * 256)::int);
            END LOOP;
            IF random() < 0.2 THEN
                mutated := substr(mutated, 1, floor(random() * length(mutated))::int);
            END IF;
            BEGIN
                PERFORM flatwal.to_json(mutated);
                rendered := rendered + 1;
            EXCEPTION WHEN OTHERS THEN
                refused := refused + 1;
            END;
            BEGIN
                PERFORM count(*) FROM flatwal.frames(mutated);
            EXCEPTION WHEN OTHERS THEN
                NULL;
            END;
        END LOOP;
    END LOOP;
    RAISE NOTICE 'fuzzed % frames: each rendered or refused with an error', rendered + refused;
    IF refused = 0 THEN
        RAISE EXCEPTION 'no corrupted frame was refused: verification is not running';
    END IF;
END
$$;
SELECT 'still here' AS backend;
