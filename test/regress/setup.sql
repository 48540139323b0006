-- Shared by every test: the extension, and a helper that shows what a slot
-- emitted with the values that vary between runs (xids, LSNs, times, OIDs)
-- removed. LSN relations are checked in lsn_order.sql instead.
SET client_min_messages = warning;
CREATE EXTENSION flatwal;
RESET client_min_messages;

CREATE SCHEMA regress;

-- Removes run-dependent fields from one rendered frame (a change's relid
-- becomes its table's name).
CREATE FUNCTION regress.mask(frame jsonb) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN frame->>'event' = 'schema' THEN
                jsonb_set(frame - '{relid,format_version}'::text[], '{columns}',
                          (SELECT coalesce(jsonb_agg(CASE WHEN (c->>'type_oid')::bigint >= 16384
                                                          THEN c - '{type_oid,base_type_oid}'::text[]
                                                          ELSE c - 'base_type_oid' END ORDER BY ord), '[]')
                             FROM jsonb_array_elements(frame->'columns') WITH ORDINALITY AS e(c, ord)))
           WHEN frame->>'event' = 'truncate' THEN
                jsonb_set(frame - '{xid,lsn,commit_lsn,format_version}'::text[], '{tables}',
                          (SELECT jsonb_agg(t - 'relid' ORDER BY ord)
                             FROM jsonb_array_elements(frame->'tables') WITH ORDINALITY AS e(t, ord)))
           ELSE (frame - '{xid,subxid,lsn,commit_lsn,final_lsn,end_lsn,abort_lsn,commit_time,relid,format_version}'::text[])
                -- A change names its table by relid (run-dependent): show the name instead.
                || CASE WHEN frame ? 'relid'
                        THEN jsonb_build_object('table', (SELECT relname FROM pg_class WHERE oid = (frame->>'relid')::oid))
                        ELSE '{}' END
           END
$$;

-- to_json returns json (the frame exactly as rendered); masking works on jsonb.
CREATE FUNCTION regress.mask(frame json) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
    SELECT regress.mask(frame::jsonb)
$$;

-- Consumes a slot and shows its frames, masked, one per row.
CREATE FUNCTION regress.changes(slot name, VARIADIC options text[] DEFAULT '{}') RETURNS SETOF jsonb
    LANGUAGE sql AS $$
    SELECT regress.mask(flatwal.to_json(f))
      FROM pg_logical_slot_get_binary_changes(slot, NULL, NULL, VARIADIC options) AS c,
           LATERAL flatwal.frames(c.data) AS f
$$;
