#!/usr/bin/env bash
# Lost slots and failovers, on servers of its own: a primary, its physical
# standby (pg_basebackup -R), a PostgreSQL target and a ClickHouse server,
# each fed by a flatwal-sink; after each phase both targets are compared
# with the source, every column of every row.
# The shipper is given both hosts (target_session_attrs=read-write), as in
# production.
#   1. initial snapshot and streaming: the target equals the primary;
#   2. the slot invalidated (max_slot_wal_keep_size) while the shipper is
#      down, with deletes, updates and inserts it never saw: started again,
#      the shipper resynchronises (a new slot and snapshot, markers that say
#      so) and the target equals the primary, the missed deletes included;
#      the shipper is SIGKILLed in the middle of that resync's snapshot
#      first, and finishes it when started again;
#   3. the primary killed under load (writes go on, to whichever server
#      takes them) and its standby promoted while the shipper runs: it
#      follows the new primary, finds no slot there but the record of one,
#      resynchronises in the same process (confirming nothing of the old
#      primary's positions on the new slot) and the target equals the new
#      primary after writes to it;
#   4. the target's own standby promoted under load: flatwal-sink, given
#      both target hosts, follows it and resumes from the checkpoints it
#      stored with the rows; the target equals the source;
#   5. ghosts: a second standby stopped (replication lost) while the primary
#      commits changes the shipper ships and the sink applies; the primary
#      killed, that standby started and promoted (timeline 3), new writes to
#      it at LSNs below the ghosts' and to the ghosts' keys: the shipper
#      resynchronises and the target equals the new primary, without a ghost;
#   6. ghosts again, but the promoted server has a slot of that name (a
#      failover slot synchronized late, or one made by hand): the running
#      shipper sees that it shipped past the point where the server left the
#      old timeline (TIMELINE_HISTORY) and resynchronises all the same;
#   7. as 6, but the shipper is killed after shipping the ghosts and started
#      after the failover: it reads what was shipped from Kafka
#      (<prefix>.flatwal.shipped) and resynchronises.
#
#   failover.sh     (starts its own servers)
# Prints "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
source test/lib/cluster.sh
source test/lib/itest.sh
source test/lib/clickhouse.sh
db=flatwal_failover
work=$(mktemp -d /tmp/flatwal-failover.XXXXXX)
chmod 755 "$work"  # the servers run as postgres when we are root
port=$(test/lib/free-port.sh)
primary_port=$port
standby_port=$(test/lib/free-port.sh)
target_port=$(test/lib/free-port.sh)
target_standby_port=$(test/lib/free-port.sh)
standby2_port=$(test/lib/free-port.sh)
standby3_port=$(test/lib/free-port.sh)
standby4_port=$(test/lib/free-port.sh)
ch_port=$(test/lib/free-port.sh)
http_port=$(test/lib/free-port.sh)
ch_sink_pid=""
sink_pid=""
trap '[ -n "$sink_pid" ] && kill -KILL "$sink_pid" 2>/dev/null; [ -n "$ch_sink_pid" ] && kill -KILL "$ch_sink_pid" 2>/dev/null; stop_started; clickhouse_stop "$work/ch"; for c in standby4 standby3 standby2 standby primary target_standby target; do cluster_stop "$work/$c"; done; [ -n "${KEEP_WORK:-}" ] || rm -rf "$work"' EXIT

if ! cluster_start "$work/primary" "$primary_port" "max_slot_wal_keep_size = '48MB'" ||
	! cluster_start "$work/target" "$target_port" || ! clickhouse_start "$work/ch" "$ch_port"; then
	failed "start the primary, the target and ClickHouse"; finish_suite "failover and lost slots"; exit 1
fi
fresh_database "$db" <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION flatwal;
CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL, note text);
ALTER TABLE accounts ALTER COLUMN note SET STORAGE EXTERNAL;  -- long notes are TOASTed, uncompressed
CREATE TABLE ledger (id bigint PRIMARY KEY, account int NOT NULL, amount int NOT NULL);
INSERT INTO accounts SELECT g, g * 10, 'opened' FROM generate_series(1, 3000) g;
INSERT INTO ledger SELECT g, g % 3000 + 1, g FROM generate_series(1, 60000) g;
SELECT flatwal.add_table('accounts'), flatwal.add_table('ledger');
SQL

# start_standby NAME OF_PORT PORT: a base backup of the server on OF_PORT, started
# as a streaming standby with its own port and socket directory.
start_standby() {
	local name=$1 of_port=$2 standby=$3
	mkdir -p "$work/$name"
	[ "$(id -u)" = 0 ] && chown postgres: "$work/$name"
	cluster_as_owner "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$of_port" -U postgres -D "$work/$name/data" -R -X stream -c fast \
		>"$work/$name.basebackup.log" 2>&1 || { cat "$work/$name.basebackup.log"; return 1; }
	printf "port = %s\nunix_socket_directories = '%s'\n" "$standby" "$work/$name" >>"$work/$name/data/postgresql.conf"
	cluster_as_owner "$PG_BIN/pg_ctl" -D "$work/$name/data" -l "$work/$name/server.log" -w -t 60 start >/dev/null ||
		{ cat "$work/$name/server.log"; return 1; }
}
if ! start_standby standby "$primary_port" "$standby_port" || ! start_standby target_standby "$target_port" "$target_standby_port"; then
	failed "start the standbys"; finish_suite "failover and lost slots"; exit 1
fi

both="host=127.0.0.1,127.0.0.1 port=$primary_port,$standby_port user=postgres dbname=$db target_session_attrs=read-write"
start_test_broker
start_failover_shipper() {  # the shipper on the hosts in $both
	build/bin/flatwal-shipper -d "$both" -b "$bootstrap" --slot failover --topic-prefix fo -s 100 \
		--metrics-file "$work/metrics.prom" --http "127.0.0.1:$http_port" ${FAILOVER_SHIPPER_ARGS:-} >>"$work/shipper.log" 2>&1 &
	shipper_pid=$!
}
# The sink and the checks are given both target hosts: whichever takes writes.
target="host=127.0.0.1,127.0.0.1 port=$target_port,$target_standby_port user=postgres dbname=postgres target_session_attrs=read-write"
tsql() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$target" "$@"; }
# A short session timeout: the test broker can hold a rejoin (each new topic
# the subscription matches) for the session timeout less a second.
quick_group="-X session.timeout.ms=6000 -X heartbeat.interval.ms=500"
# shellcheck disable=SC2086  # $quick_group is words
build/bin/flatwal-sink -b "$bootstrap" -d "$target" --topic-prefix fo --batch-ms 100 --group fo --history $quick_group \
	>>"$work/sink.log" 2>&1 &
sink_pid=$!
# shellcheck disable=SC2086
build/bin/flatwal-sink -b "$bootstrap" --clickhouse "$clickhouse_url" --topic-prefix fo --batch-ms 300 --group fo-ch $quick_group \
	>>"$work/ch-sink.log" 2>&1 &
ch_sink_pid=$!

# The rows of both tables as text, on the source ($port) and in the target.
rows() {
	echo "accounts $($1 -c "SELECT count(*) || ':' || coalesce(md5(string_agg(id || ',' || balance || ',' || coalesce(note, ''), ';' ORDER BY id)), '') FROM public.accounts" 2>&1)"
	echo "ledger $($1 -c "SELECT count(*) || ':' || coalesce(md5(string_agg(id || ',' || account || ',' || amount, ';' ORDER BY id)), '') FROM public.ledger" 2>&1)"
}
converged() {  # [SECONDS]: until the target equals the source
	for _ in $(seq 1 $((${1:-90} * 2))); do [ "$(rows sql)" = "$(rows tsql)" ] && return 0; sleep 0.5; done
	echo "   source: $(rows sql | tr '\n' ' ')"
	echo "   target: $(rows tsql | tr '\n' ' ')"
	echo "   first differing accounts (source <, target >; notes as md5):"
	local each="SELECT id || ',' || balance || ',' || md5(coalesce(note, '')) FROM public.accounts ORDER BY id"
	diff <(sql -c "$each" 2>&1) <(tsql -c "$each" 2>&1) | grep '^[<>]' | head -8
	return 1
}
# The same rows, one per line, from the source and from ClickHouse (FINAL, deletes left out).
source_lines() {
	sql -c "SELECT 'a,' || id || ',' || balance || ',' || coalesce(note, '') FROM public.accounts" \
		-c "SELECT 'l,' || id || ',' || account || ',' || amount FROM public.ledger" | LC_ALL=C sort
}
clickhouse_lines() {
	{ chq "SELECT concat('a,', toString(id), ',', toString(balance), ',', ifNull(note, '')) FROM public.accounts FINAL WHERE _deleted = 0 FORMAT TabSeparatedRaw"
	  chq "SELECT concat('l,', toString(id), ',', toString(account), ',', toString(amount)) FROM public.ledger FINAL WHERE _deleted = 0 FORMAT TabSeparatedRaw"
	} 2>/dev/null | LC_ALL=C sort
}
clickhouse_converged() {  # [SECONDS]: until ClickHouse equals the source (a resync's deletions are mutations)
	for _ in $(seq 1 $((${1:-120} * 2))); do [ "$(source_lines | md5sum)" = "$(clickhouse_lines | md5sum)" ] && return 0; sleep 0.5; done
	echo "   source $(source_lines | wc -l) rows, ClickHouse $(clickhouse_lines | wc -l); first differences:"
	diff <(source_lines) <(clickhouse_lines) | head -4 | cut -c1-120
	return 1
}
clickhouse_check() {  # WHAT: a check that ClickHouse equals the source after WHAT
	if clickhouse_converged 120; then ok "ClickHouse equals the source after $1"
	else failed "ClickHouse does not equal the source after $1"; tail -3 "$work/ch-sink.log"; fi
}
writes() {  # TAG: inserts, updates (TOASTed notes, some left unchanged), key changes and deletes
	sql >/dev/null <<SQL
INSERT INTO accounts SELECT max(id) + g, g, '$1' FROM accounts, generate_series(1, 50) g GROUP BY g;
UPDATE accounts SET balance = balance + 1, note = '$1' WHERE id % 17 = (SELECT count(*) FROM accounts) % 17;
UPDATE accounts SET note = repeat('$1 ', 400) WHERE id % 29 = (SELECT count(*) FROM accounts) % 29;
UPDATE accounts SET balance = balance + 2 WHERE id % 31 = (SELECT count(*) FROM accounts) % 31;
UPDATE accounts SET id = -id WHERE id IN (SELECT id FROM accounts WHERE id > 0 ORDER BY id LIMIT 3);
DELETE FROM accounts WHERE id IN (SELECT id FROM accounts ORDER BY id LIMIT 40 OFFSET 100);
INSERT INTO ledger SELECT max(id) + g, g % 50 + 1, g FROM ledger, generate_series(1, 80) g GROUP BY g;
DELETE FROM ledger WHERE id % 97 = (SELECT count(*) FROM ledger) % 97;
SQL
}

wait_count() {  # PATTERN N: until the shipper's log has N lines matching PATTERN (at most 90 s)
	for _ in $(seq 1 900); do [ "$(grep -c "$1" "$work/shipper.log")" -ge "$2" ] && return 0; sleep 0.1; done
	return 1
}
replayed() {  # STANDBY_PORT: until that standby replayed all the primary wrote (at most 30 s)
	local primary_lsn
	primary_lsn=$(sql -c "SELECT pg_current_wal_lsn()")
	for _ in $(seq 1 300); do
		[ "$(psql -X -At -h 127.0.0.1 -p "$1" -U postgres -d "$db" -c "SELECT pg_last_wal_replay_lsn() >= '$primary_lsn'")" = t ] && return 0
		sleep 0.1
	done
	return 1
}

# promoted STANDBY PORT: promotes the running standby; the checks' source is
# then it (on PORT), once it takes writes (10 s at most).
promoted() {
	cluster_as_owner "$PG_BIN/pg_ctl" -D "$work/$1/data" -w promote >/dev/null
	port=$2
	for _ in $(seq 1 100); do [ "$(sql -c "SELECT pg_is_in_recovery()" 2>/dev/null)" = f ] && break; sleep 0.1; done
}
# promote_stopped PRIMARY STANDBY PORT: the primary killed, the stopped
# standby started and promoted.
promote_stopped() {
	cluster_as_owner "$PG_BIN/pg_ctl" -D "$work/$1/data" -m immediate -w stop >/dev/null
	cluster_as_owner "$PG_BIN/pg_ctl" -D "$work/$2/data" -l "$work/$2/server.log" -w -t 60 start >/dev/null
	promoted "$2" "$3"
}
# 1. Initial snapshot and streaming.
start_failover_shipper
wait_streaming "$work/shipper.log" 60
writes first
if converged; then ok "initial snapshot and streaming: the target equals the primary"
else failed "the target does not equal the primary after the initial snapshot"; fi
clickhouse_check "the initial snapshot and streaming"

# 2. The slot invalidated while the shipper is down.
kill -TERM "$shipper_pid"; wait "$shipper_pid"; shipper_pid=""
writes missed
sql -c "DELETE FROM ledger WHERE id <= 300" >/dev/null
for _ in $(seq 1 12); do
	sql -c "INSERT INTO ledger VALUES (-1, 1, 1) ON CONFLICT (id) DO UPDATE SET amount = ledger.amount + 1" \
		-c "SELECT pg_switch_wal()" -c "CHECKPOINT" >/dev/null
	[ "$(sql -c "SELECT wal_status FROM pg_replication_slots WHERE slot_name = 'failover'")" = lost ] && break
done
status=$(sql -c "SELECT wal_status FROM pg_replication_slots WHERE slot_name = 'failover'")
start_failover_shipper
# Killed as soon as the resync's snapshot started (the first "snapshot started" was the initial one's).
for _ in $(seq 1 600); do [ "$(grep -c 'msg="snapshot started"' "$work/shipper.log")" -ge 2 ] && break; sleep 0.05; done
kill -KILL "$shipper_pid"; wait "$shipper_pid" 2>/dev/null; shipper_pid=""
killed_before_end=$([ "$(grep -c 'msg=resynchronised' "$work/shipper.log")" = 0 ] && echo yes || echo no)
start_failover_shipper
wait_for_log "$work/shipper.log" 'msg=resynchronised' 60 >/dev/null
writes after_lost
if [ "$killed_before_end" = yes ] && grep -q 'reason="the resynchronisation of replication slot \\"failover\\" did not finish' "$work/shipper.log"; then
	ok "the shipper SIGKILLed in the middle of the resync's snapshot takes it again when started"
else
	failed "killed mid-resync: killed before its end $killed_before_end"
	grep -E 'resynchronis|snapshot started|did not finish|created replication slot|level=error' "$work/shipper.log" | cut -c1-250
fi
health=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$http_port/health")
if [ "$status" = lost ] && grep -q 'msg="resynchronising: a new slot' "$work/shipper.log" && converged && [ "$health" = 200 ]; then
	ok "an invalidated slot (wal_status $status) is resynchronised: the target equals the primary, the 300 deletes it never saw included; /health 200"
else
	failed "after the slot was lost (wal_status $status) the target does not equal the primary, or /health $health"
	grep -E 'level=(error|warning)' "$work/shipper.log" | tail -3
fi
clickhouse_check "the lost slot's resync"
markers=$(timeout 20 kcat -b "$bootstrap" -C -t fo.public.ledger -o beginning -e -q -f '%k %h\n' 2>/dev/null |
	grep -c '^{"flatwal":"snapshot"} flatwal.op=snapshot_end' | awk '{ print ($1 >= 2) ? 2 : $1 }')
resync_markers=$(/usr/bin/python3 - "$bootstrap" <<'PY'
import sys
sys.path.insert(0, "build/gen/python")
from confluent_kafka import Consumer, TopicPartition
from flatwal.wire import Body, Event, SnapshotMarker, SnapshotPhase
c = Consumer({"bootstrap.servers": sys.argv[1], "group.id": "fo-markers", "enable.auto.commit": False})
md = c.list_topics("fo.public.ledger", timeout=10)
c.assign([TopicPartition("fo.public.ledger", p, 0) for p in md.topics["fo.public.ledger"].partitions])
count, idle = 0, 0
while idle < 20:
    m = c.poll(0.2)
    if m is None or m.error() or m.value() is None:
        idle += 1
        continue
    idle = 0
    e = Event.Event.GetRootAs(bytearray(m.value()), 0)
    if e.BodyType() == Body.Body.SnapshotMarker:
        marker = SnapshotMarker.SnapshotMarker()
        marker.Init(e.Body().Bytes, e.Body().Pos)
        count += marker.Phase() == SnapshotPhase.SnapshotPhase.End and marker.Resync()
print(min(count, 1))  # the resync killed midway may have ended this table's snapshot already
PY
)
if [ "$markers" = 2 ] && [ "$resync_markers" = 1 ]; then
	ok "the resync is announced: a second pair of snapshot markers, whose frames say resync"
else
	failed "snapshot_end markers: $markers (want 2), with resync: $resync_markers (want 1)"
fi

# 3. The primary killed under load, its standby promoted, the shipper running.
writes before_failover
wait_confirmed failover
replayed "$standby_port"
# The workload runs on through the failover, on whichever server takes writes.
( sql() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$both" "$@"; }
  for i in $(seq 1 40); do writes "through_failover_$i" 2>/dev/null || sleep 0.2; sleep 0.1; done ) &
load=$!
sleep 1
cluster_as_owner "$PG_BIN/pg_ctl" -D "$work/primary/data" -m immediate -w stop >/dev/null
promoted standby "$standby_port"
wait "$load"
writes new_primary
for _ in $(seq 1 900); do [ "$(grep -c 'msg=resynchronised' "$work/shipper.log")" -ge 2 ] && break; sleep 0.1; done
writes after_resync
resyncs=$(grep -c 'msg="resynchronising: a new slot' "$work/shipper.log")
if kill -0 "$shipper_pid" 2>/dev/null && [ "$resyncs" = 3 ] && converged 120; then
	ok "the standby promoted under load: the shipper followed it, resynchronised by itself (no slot there, the record of one) and the target equals the new primary"
else
	failed "after the promotion ($resyncs resyncs, shipper $(kill -0 "$shipper_pid" 2>/dev/null && echo running || echo gone)) the target does not equal the new primary"
	tail -4 "$work/shipper.log"
fi
clickhouse_check "the promotion's resync"

# 4. The target's standby promoted while changes flow.
( for i in $(seq 1 30); do writes "load_$i"; sleep 0.2; done ) &
writer=$!
sleep 2
cluster_as_owner "$PG_BIN/pg_ctl" -D "$work/target/data" -m immediate -w stop >/dev/null
cluster_as_owner "$PG_BIN/pg_ctl" -D "$work/target_standby/data" -w promote >/dev/null
wait "$writer"
if kill -0 "$sink_pid" 2>/dev/null && converged 120; then
	ok "the target's standby promoted under load: flatwal-sink followed it (both hosts in -d), resumed from its checkpoints, and the target equals the source"
else
	failed "after the target's promotion the target does not equal the source (sink $(kill -0 "$sink_pid" 2>/dev/null && echo running || echo gone))"
	tail -3 "$work/sink.log"
fi

if grep -q '^flatwal_shipper_resyncs_total 2$' "$work/metrics.prom"; then
	ok "the metrics count both resyncs of this process: flatwal_shipper_resyncs_total 2"
else
	failed "metrics: $(grep resyncs "$work/metrics.prom")"
fi

# 5. Ghosts. A second standby of the new primary, stopped so that it misses
# what follows; the shipper restarted with the primary and that standby.
timeline() { psql -X -At -h 127.0.0.1 -p "$1" -U postgres -d "$db" -c "SELECT timeline_id FROM pg_control_checkpoint()"; }
if ! start_standby standby2 "$standby_port" "$standby2_port"; then
	failed "start the second standby"; finish_suite "failover and lost slots"; exit 1
fi
writes before_ghosts
replayed "$standby2_port"
caught_up_lsn=$(sql -c "SELECT pg_current_wal_lsn()")
kill -TERM "$shipper_pid"; wait "$shipper_pid"; shipper_pid=""
both="host=127.0.0.1,127.0.0.1 port=$standby_port,$standby2_port user=postgres dbname=$db target_session_attrs=read-write"
start_failover_shipper
wait_streaming "$work/shipper.log" 60
cluster_as_owner "$PG_BIN/pg_ctl" -D "$work/standby2/data" -m fast -w stop >/dev/null
# What the standby never receives: inserts (new keys), updates (a TOASTed
# note too) and deletes, shipped and applied; then more WAL, so that the new
# primary's writes land below the ghosts' LSNs.
writes ghost
sql >/dev/null <<'SQL'
UPDATE accounts SET note = repeat('ghost ', 2000) WHERE id % 5 = 0;
DELETE FROM accounts WHERE id % 7 = 0;
UPDATE accounts SET id = id + 100000 WHERE id % 11 = 1;
UPDATE ledger SET amount = amount + 1000;
SQL
wait_confirmed failover
ghosts_lsn=$(sql -c "SELECT pg_current_wal_lsn()")
if converged 60; then ghosts_applied=yes; else ghosts_applied=no; fi
promote_stopped standby standby2 "$standby2_port"
sql -c "CHECKPOINT" >/dev/null  # pg_control then names the new timeline
# The same formulas as before the failover: the inserts reuse the ghost inserts' keys.
writes after_ghosts
below=$(sql -c "SELECT pg_current_wal_lsn() < '$ghosts_lsn'")
for _ in $(seq 1 900); do [ "$(grep -c 'msg=resynchronised' "$work/shipper.log")" -ge 3 ] && break; sleep 0.1; done
writes after_ghost_resync
if [ "$ghosts_applied" = yes ] && [ "$below" = t ] && [ "$(timeline "$standby2_port")" = 3 ] && converged 120; then
	ok "ghosts: changes the promoted standby never had (applied before, at LSNs above its new writes on timeline 3) are gone; the target equals the new primary row for row"
else
	failed "ghosts: applied before the failover $ghosts_applied, new writes below the ghosts' LSN $below, timeline $(timeline "$standby2_port")"
	tail -4 "$work/shipper.log"
fi
clickhouse_check "the ghosts' resync"
for _ in $(seq 1 100); do grep -q '^flatwal_shipper_source_timeline 3$' "$work/metrics.prom" && break; sleep 0.1; done
if grep -q '^flatwal_shipper_source_timeline 3$' "$work/metrics.prom"; then
	ok "the metrics show the new primary's timeline: flatwal_shipper_source_timeline 3"
else
	failed "metrics: $(grep timeline "$work/metrics.prom")"
fi
stale=$(tsql -c "SELECT count(*) FROM public.accounts WHERE _flatwal_timeline < 3" 2>&1)
# Each row's last change is in the history at the row's position, once; the ghosts' changes stay there, on timeline 2.
unlogged=$(tsql -c "SELECT count(*) FROM public.accounts t WHERE (SELECT count(*) FROM public.accounts_history h
                    WHERE (h.timeline, h.commit_lsn, h.seq) = (t._flatwal_timeline, t._flatwal_commit_lsn, t._flatwal_seq)) <> 1" 2>&1)
ghost_history=$(tsql -c "SELECT count(*) > 0 FROM public.accounts_history WHERE timeline = 2 AND op <> 'read' AND commit_lsn > '$caught_up_lsn'" 2>&1)
if [ "$stale" = 0 ] && [ "$unlogged" = 0 ] && [ "$ghost_history" = t ]; then
	ok "every target row is on timeline 3 or was read again there, its last change once in the history; the ghosts' changes stay in the history on timeline 2"
else
	failed "after the ghosts: rows of older timelines $stale, rows whose change is not once in the history $unlogged, ghosts in the history $ghost_history"
fi
# ship_ghosts NAME PRIMARY_PORT PORT TAG N: a standby NAME of the primary,
# caught up; the shipper restarted on both; the standby stopped, then
# changes it never gets shipped and applied (inserts, updates of every Nth
# account's note and of every ledger row).
ship_ghosts() {
	local name=$1 primary=$2 standby=$3 tag=$4 every=$5 streams
	if ! start_standby "$name" "$primary" "$standby"; then
		failed "start $name"; finish_suite "failover and lost slots"; exit 1
	fi
	writes "before_$tag"
	replayed "$standby"
	kill -TERM "$shipper_pid"; wait "$shipper_pid"; shipper_pid=""
	both="host=127.0.0.1,127.0.0.1 port=$primary,$standby user=postgres dbname=$db target_session_attrs=read-write"
	streams=$(grep -c 'msg=streaming' "$work/shipper.log")
	start_failover_shipper
	wait_count 'msg=streaming' $((streams + 1))
	cluster_as_owner "$PG_BIN/pg_ctl" -D "$work/$name/data" -m fast -w stop >/dev/null
	writes "${tag}_ghost"
	sql -c "UPDATE accounts SET note = '$tag ghost' WHERE id % $every = 0" -c "UPDATE ledger SET amount = amount + $every" >/dev/null
	wait_confirmed failover
	converged 60 >/dev/null
}
# 6. Ghosts, and a slot of that name on the promoted server. The shipper is
# restarted on the primary and a third standby first, so that this process
# ships the ghosts itself; it is paused while the slot is made by hand.
ship_ghosts standby3 "$standby2_port" "$standby3_port" late_slot 3
kill -STOP "$shipper_pid"
promote_stopped standby2 standby3 "$standby3_port"
made=$(sql -c "SELECT slot_name FROM pg_create_logical_replication_slot('failover', 'flatwal')" 2>&1)
kill -CONT "$shipper_pid"
writes after_late_slot
wait_count 'msg=resynchronised' 4
writes after_late_resync
if [ "$made" = failover ] && grep -q 'exists on a server promoted to timeline 4, but changes up to' "$work/shipper.log" &&
	converged 120; then
	ok "a slot on the promoted server behind what was shipped: the shipper resynchronised (TIMELINE_HISTORY), the target equals the new primary"
else
	failed "a slot on the promoted server (made: $made): $(grep -o 'reason="[^"]*' "$work/shipper.log" | tail -1)"
fi
clickhouse_check "the resync on a slot made late"
# 7. As 6, but the shipper is down during the failover (SIGKILLed after
# shipping the ghosts): the process started afterwards has no memory of what
# was shipped and reads it from Kafka (<prefix>.flatwal.shipped).
ship_ghosts standby4 "$standby3_port" "$standby4_port" restart 4
sleep 2  # the shipper records how far it shipped at most once a second
kill -KILL "$shipper_pid"; wait "$shipper_pid" 2>/dev/null; shipper_pid=""
promote_stopped standby3 standby4 "$standby4_port"
made=$(sql -c "SELECT slot_name FROM pg_create_logical_replication_slot('failover', 'flatwal')" 2>&1)
writes after_restart_slot
start_failover_shipper
wait_count 'msg=resynchronised' 5
writes after_restart_resync
record=$(timeout 20 kcat -b "$bootstrap" -C -t fo.flatwal.shipped -o beginning -e -q -f '%k %s\n' 2>/dev/null | grep '^failover ' | tail -1)
if [ "$made" = failover ] && grep -q 'msg="read how far this slot was shipped"' "$work/shipper.log" &&
	grep -q 'exists on a server promoted to timeline 5, but changes up to' "$work/shipper.log" && converged 120; then
	ok "the shipper started after a failover to a slot made late: it read what was shipped from Kafka, resynchronised, and the target equals the new primary"
else
	failed "started after a failover to a slot made late (made: $made): $(grep -o 'reason="[^"]*' "$work/shipper.log" | tail -1)"
fi
clickhouse_check "the resync of a shipper started after the failover"
case "$record" in
	'failover {"slot":"failover","timeline":5,"end_lsn":"'*) ok "fo.flatwal.shipped holds the slot's record on the new timeline: ${record#failover }" ;;
	*) failed "the last record of fo.flatwal.shipped: $record" ;;
esac
finish_suite "failover and lost slots"
