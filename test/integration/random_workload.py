#!/usr/bin/env python3
"""The randomized workload of test/integration/randomized.sh, from a seed.

  random_workload.py schema SEED          the tables' CREATE statements and add_table calls
  random_workload.py round SEED N         round N's transactions (reads the tables' current
                                          columns from the database named by PG* variables)
  random_workload.py tables SEED          one line per table: its qualified name, then its key columns
  random_workload.py partitions SEED      one line per partition: its qualified name, then its table's

Everything is drawn from random.Random(f"{SEED}:{what}"), so a seed and the
database's state give the same SQL again. Names are chosen to break generated
SQL that forgets to quote: aliases the tools use (t, s, o), keywords, mixed
case, quotes, spaces, dots and non-ASCII letters. Some tables have an
excluded column and a masked one (flatwal.set_columns), which the DDL
renames, drops and swaps like any other. Transactions mix inserts and
upserts, updates that move keys (across partitions too) or leave a TOASTed
value unchanged, deletes, savepoints rolled back, whole transactions rolled
back, large transactions, truncates and DDL (ADD COLUMN with and without a
constant default or a volatile one, DROP COLUMN, DROP and ADD again under the
same name, RENAME COLUMN, two columns trading names, a rename
onto the name of a column just dropped, ALTER COLUMN … TYPE). A partitioned
table has a partition detached (its rows deleted first, as docs/extension.md
tells) and attached again later holding rows of its own, which an on-demand
snapshot brings (the same page's advice); each detached stretch is logged in
DETACHED_LOG, so the check knows which of the partition's changes no stream
could carry.
"""
import json
import random
import subprocess
import sys
import time

# The tables: (schema, name, key columns with types, partitioned, replica identity full).
TABLE_NAMES = ['t', 'Order', 'select', 'Mixed Case', 'café', 'quote"d', 'dot.ted', 'plain_rows']
COLUMN_NAMES = ['t', 's', 'o', 'Select', 'order', 'Value', 'col with space', 'ü', 'a"b', 'x.y', 'user', 'from']
VALUE_TYPES = ['integer', 'bigint', 'numeric(12,2)', 'text', 'character varying(30)', 'jsonb', 'bytea',
               'timestamp with time zone', 'date', 'boolean', 'double precision', 'uuid', 'text[]', 'interval']
KEY_SHAPES = [[('integer', 'int')], [('bigint', 'big')], [('text', 'code')], [('uuid', 'ref')],
              [('integer', 'id'), ('text', 'region')]]
KEY_SPACE = 400  # small enough that changes meet the rows earlier changes made
# A partitioned table's partitions: by range of its first key column.
PARTITION_BOUNDS = [('MINVALUE', '150'), ('150', '300'), ('300', 'MAXVALUE')]
# Not captured: (partition, from_lsn, to_lsn) of each stretch a partition
# spent detached (to_lsn NULL while it still is).
DETACHED_LOG = 'public.random_detached'
# ALTER COLUMN … TYPE: to a type every value of the old one converts to. Some
# are binary-coercible (no rewrite), the others rewrite the table (the
# extension then snapshots it again on demand), one depends on the session's
# time zone (date -> timestamptz), as a real migration may.
RETYPES = {'integer': 'bigint', 'bigint': 'numeric', 'numeric(12,2)': 'numeric(16,4)',
           'character varying(30)': 'text', 'text': 'character varying', 'date': 'timestamp with time zone',
           'boolean': 'text', 'jsonb': 'text'}




def ident(name):
    return '"' + name.replace('"', '""') + '"'


def literal(text):
    return "'" + text.replace("'", "''") + "'"


def rng(seed, what):
    return random.Random(f'{seed}:{what}')


def table_plan(seed):
    r = rng(seed, 'tables')
    names = r.sample(TABLE_NAMES, 4)
    plans = []
    for i, name in enumerate(names):
        schema = 'Rnd Schema' if i == 1 else 'public'
        partitioned = i == 2 and r.random() < 0.7
        key = r.choice(KEY_SHAPES if not partitioned else [KEY_SHAPES[0], KEY_SHAPES[4]])
        key_names = [r.choice(['t', 'id', 'Key', 'o']) if k == 0 else 'region' for k, _ in enumerate(key)]
        if len(set(key_names)) < len(key_names):
            key_names = ['id', 'region']
        columns = []
        used = set(key_names)
        for _ in range(r.randint(2, 5)):
            column = r.choice([c for c in COLUMN_NAMES if c not in used])
            used.add(column)
            columns.append((column, r.choice(VALUE_TYPES)))
        plans.append({
            'schema': schema, 'name': name,
            'key': [(n, key[k][0]) for k, n in enumerate(key_names)],
            'columns': columns,
            'toast': 'body' if r.random() < 0.7 else None,
            'partitioned': partitioned,
            'full': r.random() < 0.3,
        })
    # Columns flatwal.set_columns protects: an excluded one never leaves the
    # database, a masked one (text) goes as its HMAC. From a generator of
    # their own, so the tables above stay what each seed made before them.
    p = rng(seed, 'protected')
    for plan in plans:
        plan['excluded'] = ('secret code', p.choice(VALUE_TYPES)) if p.random() < 0.4 else None
        plan['masked'] = ('e-mail', 'text') if p.random() < 0.4 else None
    return plans


def qualified(plan):
    return ident(plan['schema']) + '.' + ident(plan['name'])


def schema_sql(seed):
    out = ['SET client_min_messages = warning;', 'CREATE EXTENSION flatwal;', 'CREATE SCHEMA "Rnd Schema";']
    for plan in table_plan(seed):
        columns = [f'{ident(n)} {t} NOT NULL' for n, t in plan['key']]
        columns += [f'{ident(n)} {t}' for n, t in plan['columns'] + [c for c in (plan['excluded'], plan['masked']) if c]]
        if plan['toast']:
            columns.append(f"{plan['toast']} text")
        key = ', '.join(ident(n) for n, _ in plan['key'])
        create = f"CREATE TABLE {qualified(plan)} ({', '.join(columns)}, PRIMARY KEY ({key}))"
        if plan['partitioned']:
            out.append(create + f" PARTITION BY RANGE ({ident(plan['key'][0][0])});")
            for low, high in PARTITION_BOUNDS:
                out.append(f"CREATE TABLE {partition_name(plan, low)} PARTITION OF {qualified(plan)} "
                           f"FOR VALUES FROM ({low}) TO ({high});")
        else:
            out.append(create + ';')
        if plan['toast']:
            out.append(f"ALTER TABLE {qualified(plan)} ALTER COLUMN body SET STORAGE EXTERNAL;")
        if plan['full'] and not plan['partitioned']:
            out.append(f'ALTER TABLE {qualified(plan)} REPLICA IDENTITY FULL;')
        out.append(f"SELECT flatwal.add_table({literal(qualified(plan))});")
        if plan['excluded'] or plan['masked']:
            exclude = [plan['excluded'][0]] if plan['excluded'] else []
            mask = [plan['masked'][0]] if plan['masked'] else []
            out.append(f"SELECT flatwal.set_columns({literal(qualified(plan))}, "
                       f"exclude => ARRAY[{', '.join(map(literal, exclude))}]::text[], "
                       f"mask => ARRAY[{', '.join(map(literal, mask))}]::text[]);")
    out.append(f'CREATE TABLE {DETACHED_LOG} (part text NOT NULL, from_lsn pg_lsn NOT NULL, to_lsn pg_lsn);')
    return '\n'.join(out)


def partition_name(plan, low):
    return ident(plan['schema']) + '.' + ident(f"{plan['name']} {low}")


def psql(query):
    """The query's unaligned output; retried while the source restarts (a fault of the test)."""
    for _ in range(100):
        done = subprocess.run(['psql', '-X', '-At', '-c', query], capture_output=True, text=True)
        if done.returncode == 0:
            return done.stdout
        if done.returncode != 2:  # 2: no connection; anything else will not go away
            break
        time.sleep(0.3)
    sys.exit(f'psql failed: {done.stderr}')


def current_columns(plans):
    """The tables' columns as the database has them now (DDL of earlier rounds changed them)."""
    names = ', '.join(literal(qualified(p)) for p in plans)
    query = (f"SELECT json_object_agg(c.oid::regclass::text, (SELECT json_agg(json_build_array(attname, "
             f"format_type(atttypid, atttypmod)) ORDER BY attnum) FROM pg_attribute WHERE attrelid = c.oid "
             f"AND attnum > 0 AND NOT attisdropped)) FROM unnest(ARRAY[{names}]::regclass[]) AS c(oid)")
    by_regclass = json.loads(psql(query))
    regclasses = psql(f"SELECT unnest(ARRAY[{names}]::regclass[])::text").splitlines()
    return [[(n, t) for n, t in by_regclass[rc]] for rc in regclasses]


class Values:
    """SQL literals of each type, with the awkward ones (quotes, NULLs, edges) often."""

    def __init__(self, r):
        self.r = r

    def string(self, length):
        alphabet = 'abcxyz AZ09\'"\\,{}()[]\n\tüé€𝄞;--'
        return ''.join(self.r.choice(alphabet) for _ in range(length))

    def key(self, sql_type, column_index):
        r = self.r
        n = r.randint(1, KEY_SPACE)
        if sql_type in ('integer', 'bigint'):
            return str(n if column_index == 0 else n % 5)
        if sql_type == 'uuid':
            return literal(f'00000000-0000-0000-0000-{n:012d}') + '::uuid'
        if column_index == 0:
            return literal(f"k{n}'")
        return literal(r.choice(['eu', 'us', 'Ünï', 'a"b']))

    def body(self):
        # Out of line (STORAGE EXTERNAL) above ~2 kB; sometimes short, sometimes NULL.
        r = self.r
        choice = r.random()
        if choice < 0.1:
            return 'NULL'
        if choice < 0.25:
            return literal(self.string(20))
        return f"repeat({literal(self.string(8))}, {r.randint(300, 900)})"

    def value(self, sql_type):
        r = self.r
        if r.random() < 0.12:
            return 'NULL'
        if sql_type == 'integer':
            return str(r.choice([0, -1, 2147483647, -2147483648, r.randint(-1000, 1000)]))
        if sql_type == 'bigint':
            return str(r.choice([9223372036854775807, -9223372036854775808, r.randint(-10**12, 10**12)]))
        if sql_type.startswith('numeric'):
            return f"{r.randint(-10**9, 10**9)}.{r.randint(0, 99):02d}"
        if sql_type == 'text':
            return literal(self.string(r.randint(0, 40)))
        if sql_type.startswith('character varying'):
            return literal(self.string(r.randint(0, 30)))
        if sql_type == 'jsonb':
            doc = {self.string(3): r.choice([None, True, 1.5, -7, self.string(5), [1, {'n': None}]])
                   for _ in range(r.randint(0, 3))}
            return literal(json.dumps(doc, ensure_ascii=r.random() < 0.5)) + '::jsonb'
        if sql_type == 'bytea':
            return literal('\\x' + bytes(r.randrange(256) for _ in range(r.randint(0, 12))).hex()) + '::bytea'
        if sql_type == 'timestamp with time zone':
            return r.choice(["'infinity'", "'-infinity'", f"to_timestamp({r.randint(-2 * 10**9, 4 * 10**9)}.{r.randint(0, 999999):06d})"])
        if sql_type == 'date':
            return r.choice(["'infinity'::date", f"date '2000-02-29' + {r.randint(-800000, 800000)}"])
        if sql_type == 'boolean':
            return r.choice(['true', 'false'])
        if sql_type == 'double precision':
            return r.choice(["'NaN'::float8", "'-Infinity'::float8", '-0.0::float8', f'{r.uniform(-1e6, 1e6)!r}::float8',
                             '1e-300::float8'])
        if sql_type == 'uuid':
            return literal(str(__import__('uuid').UUID(int=r.getrandbits(128)))) + '::uuid'
        if sql_type == 'text[]':
            elements = [r.choice(['NULL', literal(self.string(4)), "'NULL'", "''"]) for _ in range(r.randint(0, 3))]
            return f"ARRAY[{', '.join(elements)}]::text[]"
        if sql_type == 'interval':
            return f"make_interval(months => {r.randint(-30, 30)}, days => {r.randint(-40, 40)}, secs => {r.randint(-10**6, 10**6) / 1000})"
        raise ValueError(f'no values for {sql_type}')


def round_sql(seed, number, transactions):
    plans = table_plan(seed)
    columns = current_columns(plans)
    r = rng(seed, f'round {number}')
    values = Values(r)
    out = []
    for _ in range(transactions):
        which = r.randrange(len(plans))
        plan, now = plans[which], columns[which]
        out.append('BEGIN;')
        for _ in range(r.randint(1, 6)):
            out.append(statement(r, values, plan, now))
        if r.random() < 0.1:
            out += ['SAVEPOINT undone;', statement(r, values, plan, now), 'ROLLBACK TO SAVEPOINT undone;']
        out.append('ROLLBACK;' if r.random() < 0.05 else 'COMMIT;')
    # From a generator of its own, so the rest of each seed's rounds stay what they were.
    p = rng(seed, f'partitions {number}')
    for which, plan in enumerate(plans):
        if plan['partitioned'] and p.random() < 0.2:
            out.append(partition_ddl(p, plan, columns[which]))
    if r.random() < 0.6:
        which = r.randrange(len(plans))
        out.append(ddl(r, values, plans[which], columns[which], number))
    return '\n'.join(out)


def key_where(values, plan):
    return ' AND '.join(f'{ident(n)} = {values.key(t, k)}' for k, (n, t) in enumerate(plan['key']))


def statement(r, values, plan, now):
    table = qualified(plan)
    key_names = [n for n, _ in plan['key']]
    others = [(n, t) for n, t in now if n not in key_names]
    plain = [(n, t) for n, t in others if n != plan['toast']]
    kind = r.random()
    if kind < 0.35:  # insert or upsert, a few rows
        rows = []
        for _ in range(r.randint(1, 4)):
            row = [values.key(t, k) for k, (_, t) in enumerate(plan['key'])]
            row += [values.body() if n == plan['toast'] else values.value(t) for n, t in others]
            rows.append('(' + ', '.join(row) + ')')
        names = ', '.join(ident(n) for n, _ in plan['key'] + others)
        conflict = ', '.join(ident(n) for n in key_names)
        if r.random() < 0.5 and others:
            sets = ', '.join(f'{ident(n)} = EXCLUDED.{ident(n)}' for n, _ in r.sample(others, r.randint(1, len(others))))
            action = f'DO UPDATE SET {sets}'
        else:
            action = 'DO NOTHING'
        # One row per statement: ON CONFLICT DO UPDATE refuses a key twice in one statement.
        return '\n'.join(f'INSERT INTO {table} ({names}) VALUES {row} ON CONFLICT ({conflict}) {action};' for row in rows)
    if kind < 0.65 and plain:  # an update that leaves the TOASTed value alone
        sets = ', '.join(f'{ident(n)} = {values.value(t)}' for n, t in r.sample(plain, r.randint(1, len(plain))))
        return f'UPDATE {table} SET {sets} WHERE {key_where(values, plan)};'
    if kind < 0.72 and plan['toast'] in [n for n, _ in now]:
        return f"UPDATE {table} SET body = {values.body()} WHERE {key_where(values, plan)};"
    if kind < 0.82:  # a key move, maybe with other columns changed; TOAST left alone
        name, sql_type = plan['key'][0]
        sets = [f'{ident(name)} = {values.key(sql_type, 0)}']
        if plain and r.random() < 0.5:
            n, t = r.choice(plain)
            sets.append(f'{ident(n)} = {values.value(t)}')
        where = key_where(values, plan)
        guard = f"NOT EXISTS (SELECT FROM {table} AS x WHERE x.{ident(name)} = {sets[0].split(' = ', 1)[1]})"
        return f"UPDATE {table} SET {', '.join(sets)} WHERE {where} AND {guard};"
    if kind < 0.92:
        return f'DELETE FROM {table} WHERE {key_where(values, plan)};'
    if kind < 0.96 and plain:  # many rows at once
        n, t = r.choice(plain)
        first = plan['key'][0]
        if first[1] in ('integer', 'bigint'):
            low = r.randint(1, KEY_SPACE)
            return f'UPDATE {table} SET {ident(n)} = {values.value(t)} WHERE {ident(first[0])} BETWEEN {low} AND {low + 40};'
        return f'UPDATE {table} SET {ident(n)} = {values.value(t)} WHERE length({ident(first[0])}::text) % 7 = {r.randint(0, 6)};'
    if kind < 0.985:  # a large transaction's worth of rows (spilled or streamed by the server)
        first = plan['key'][0]
        if first[1] in ('integer', 'bigint') and len(plan['key']) == 1:
            base = r.randint(1, KEY_SPACE)
            return (f'INSERT INTO {table} ({ident(first[0])}) SELECT g FROM generate_series({base}, {base + 1500}) g '
                    f'ON CONFLICT DO NOTHING;')
        return f'DELETE FROM {table} WHERE random() < 0;'
    return f'TRUNCATE {table};' if r.random() < 0.3 else f'DELETE FROM {table} WHERE {key_where(values, plan)};'


def partition_ddl(r, plan, now):
    """Detaches a partition (its rows deleted first), or attaches the detached
    one again: its columns made the table's as they are now, rows of its own
    inserted while it was away, then an on-demand snapshot of the table."""
    table = qualified(plan)
    parts = [(partition_name(plan, low), low, high) for low, high in PARTITION_BOUNDS]
    names = ', '.join(literal(name) for name, _, _ in parts)
    attached = psql(f"SELECT string_agg(p::text, ',') FROM unnest(ARRAY[{names}]) WITH ORDINALITY AS u(part, p) "
                    f"WHERE EXISTS (SELECT FROM pg_inherits WHERE inhrelid = part::regclass AND inhparent = {literal(table)}::regclass)")
    away = [part for i, part in enumerate(parts, 1) if str(i) not in attached.strip().split(',')]
    if not away:
        part = r.choice(parts)[0]
        return (f'DELETE FROM {part};\n'
                f"INSERT INTO {DETACHED_LOG} VALUES ({literal(part)}, pg_current_wal_lsn(), NULL);\n"
                f'ALTER TABLE {table} DETACH PARTITION {part};')
    part, low, high = away[0]
    out = []
    # The table's DDL did not reach the detached partition: align its columns.
    theirs = dict(json.loads(psql(f"SELECT coalesce(json_agg(json_build_array(attname, format_type(atttypid, atttypmod))), '[]') "
                                  f"FROM pg_attribute WHERE attrelid = {literal(part)}::regclass AND attnum > 0 AND NOT attisdropped")))
    ours = dict(now)
    for name, sql_type in theirs.items():
        if name not in ours:
            out.append(f'ALTER TABLE {part} DROP COLUMN {ident(name)};')
        elif ours[name] != sql_type:
            out.append(f'ALTER TABLE {part} ALTER COLUMN {ident(name)} TYPE {ours[name]} USING NULL;')
    for name, sql_type in now:
        if name not in theirs:
            out.append(f'ALTER TABLE {part} ADD COLUMN {ident(name)} {sql_type};')
    first_low = 1 if low == 'MINVALUE' else int(low)
    first = r.randint(first_low, (KEY_SPACE if high == 'MAXVALUE' else int(high)) - 10)
    keys = ', '.join(ident(n) for n, _ in plan['key'])
    region = ", 'eu'" if len(plan['key']) > 1 else ''
    out.append(f'INSERT INTO {part} ({keys}) SELECT g{region} FROM generate_series({first}, {first + 9}) g '
               'ON CONFLICT DO NOTHING;')
    # The stretch ends before the ATTACH in its transaction: a refused ATTACH leaves it open.
    out += ['BEGIN;',
            f"UPDATE {DETACHED_LOG} SET to_lsn = pg_current_wal_lsn() WHERE part = {literal(part)} AND to_lsn IS NULL;",
            f'ALTER TABLE {table} ATTACH PARTITION {part} FOR VALUES FROM ({low}) TO ({high});',
            'COMMIT;',
            f"SELECT flatwal.request_snapshot({literal(table)});"]
    return '\n'.join(out)


def ddl(r, values, plan, now, number):
    table = qualified(plan)
    key_names = [n for n, _ in plan['key']]
    droppable = [n for n, _ in now if n not in key_names and n != plan['toast']]
    kind = r.random()
    if kind < 0.45 or len(droppable) < 2:
        sql_type = r.choice(VALUE_TYPES)
        name = f'added {number}' if r.random() < 0.5 else f'Added_{number}'
        default = f' DEFAULT {values.value(sql_type)}' if r.random() < 0.5 else ''
        if r.random() < 0.15:  # volatile: the table is rewritten, every row gets its own value
            sql_type, default = 'double precision', ' DEFAULT random()'
        return f'ALTER TABLE {table} ADD COLUMN {ident(name)} {sql_type}{default};'
    if kind < 0.57:
        return f'ALTER TABLE {table} DROP COLUMN {ident(r.choice(droppable))};'
    if kind < 0.65:  # a column renamed to the name of one just dropped
        dropped, renamed = r.sample(droppable, 2)
        return (f'ALTER TABLE {table} DROP COLUMN {ident(dropped)};\n'
                f'ALTER TABLE {table} RENAME COLUMN {ident(renamed)} TO {ident(dropped)};')
    if kind < 0.71:  # dropped and added again under its name: a new column, perhaps of another type
        dropped = r.choice(droppable)
        return (f'ALTER TABLE {table} DROP COLUMN {ident(dropped)};\n'
                f'ALTER TABLE {table} ADD COLUMN {ident(dropped)} {r.choice(VALUE_TYPES)};')
    retypable = [n for n, t in now if n in droppable and t in RETYPES]
    if kind < 0.84 and retypable:  # a column's type changed (its values converted)
        column = r.choice(retypable)
        return f'ALTER TABLE {table} ALTER COLUMN {ident(column)} TYPE {RETYPES[dict(now)[column]]};'
    if kind < 0.9:  # two columns trade names
        one, other = r.sample(droppable, 2)
        spare = ident(f'swap {number}')
        return (f'ALTER TABLE {table} RENAME COLUMN {ident(one)} TO {spare};\n'
                f'ALTER TABLE {table} RENAME COLUMN {ident(other)} TO {ident(one)};\n'
                f'ALTER TABLE {table} RENAME COLUMN {spare} TO {ident(other)};')
    return f'ALTER TABLE {table} RENAME COLUMN {ident(r.choice(droppable))} TO {ident(f"renamed {number}")};'


def main():
    what, seed = sys.argv[1], sys.argv[2]
    if what == 'schema':
        print(schema_sql(seed))
    elif what == 'round':
        try:
            print(round_sql(seed, int(sys.argv[3]), int(sys.argv[4]) if len(sys.argv) > 4 else 40))
        except BrokenPipeError:
            pass  # psql lost the source (a restart the test made): the round ends there
    elif what == 'tables':
        for plan in table_plan(seed):
            print(qualified(plan) + '\t' + ','.join(ident(n) for n, _ in plan['key']))
    elif what == 'partitions':
        for plan in table_plan(seed):
            for low, _ in PARTITION_BOUNDS if plan['partitioned'] else []:
                print(partition_name(plan, low) + '\t' + qualified(plan))
    else:
        sys.exit(f'unknown command {what}')


if __name__ == '__main__':
    main()
