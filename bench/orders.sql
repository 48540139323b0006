-- The benchmarks' table and workload: a 7-column "orders" table captured by
-- flatwal, and a procedure that inserts, updates and (optionally) deletes
-- `total` rows in 1,000-row transactions.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS flatwal;
CREATE TABLE orders (
    id bigint PRIMARY KEY, customer_id bigint NOT NULL, status text NOT NULL, amount numeric(12,2) NOT NULL,
    note text, created_at timestamptz NOT NULL DEFAULT now(), attrs jsonb
);
SELECT flatwal.add_table('orders');

CREATE PROCEDURE orders_workload(total integer, with_deletes boolean) LANGUAGE plpgsql AS $$
BEGIN
    FOR b IN 0..(total / 1000 - 1) LOOP
        INSERT INTO orders
        SELECT g, g % 5000, 'new', (g % 100000) / 100.0, 'order note ' || md5(g::text),
               timestamptz '2026-01-01 00:00+00' + g * interval '1 second', jsonb_build_object('src', 'web', 'n', g % 7)
          FROM generate_series(b * 1000 + 1, b * 1000 + 1000) g;
        COMMIT;
    END LOOP;
    FOR b IN 0..(total / 1000 - 1) LOOP
        UPDATE orders SET status = 'paid', amount = amount + 1 WHERE id BETWEEN b * 1000 + 1 AND b * 1000 + 1000;
        COMMIT;
    END LOOP;
    IF with_deletes THEN
        FOR b IN 0..(total / 1000 - 1) LOOP
            DELETE FROM orders WHERE id BETWEEN b * 1000 + 1 AND b * 1000 + 1000;
            COMMIT;
        END LOOP;
    END IF;
END
$$;
