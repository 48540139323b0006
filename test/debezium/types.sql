-- The Debezium format's golden workload: every column of the regress `types`
-- workload (test/regress/types.sql), the types Debezium maps specially
-- (bit, varbit, money, hstore, time and timestamp precisions), and each kind
-- of event: insert, update with and without a key change, delete, an
-- unchanged TOAST value, truncate and a logical message.
SET client_min_messages = warning;
CREATE EXTENSION flatwal;
CREATE EXTENSION hstore;
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN positive AS integer CHECK (VALUE > 0);
CREATE TYPE pair AS (a int, b text);

-- The same columns as regress.typed (test/regress/types.sql), kept in step by hand.
CREATE TABLE typed (
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
    m       mood,
    dom     positive,
    comp    pair,
    rng     int4range,
    inet_v  inet,
    pt      point
);

CREATE TABLE special (
    id      int PRIMARY KEY,
    bit1    bit(1),
    bit3    bit(3),
    bit12   bit(12),
    vb      varbit,
    money_v money,
    tm3     time(3),
    ts3     timestamp(3),
    ts0     timestamp(0),
    h       hstore,
    big     text,
    blob    bytea
);

-- A table without a key, and one whose before images are full rows.
CREATE TABLE keyless (note text);
CREATE TABLE full_image (id int PRIMARY KEY, label text, qty int);
ALTER TABLE full_image REPLICA IDENTITY FULL;

SELECT flatwal.add_table(t) FROM unnest('{typed,special,keyless,full_image}'::regclass[]) t;
