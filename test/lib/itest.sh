# itest.sh — the toolkit of the integration tests, the benchmarks and the
# demo. Source it (after cluster.sh when a cluster is started here), then set:
#   $port   the PostgreSQL cluster's port on 127.0.0.1
#   $db     the database `sql` talks to (default: postgres)
#   $work   a scratch directory
#
#   sql [psql args]               psql on $db, unaligned, stops at the first error
#   fresh_database NAME <SQL      drops and creates NAME, then runs the SQL in it
#   drop_database NAME            drops NAME and its replication slots
#   start_test_broker [args]      the Kafka-protocol test broker; sets $bootstrap, $broker_pid
#   start_shipper LOG [args]      flatwal-shipper on $db and $bootstrap; sets $shipper_pid
#   wait_confirmed SLOT [LSN [S]] waits up to S seconds (60) until the slot confirmed LSN (default: now)
#   stop_started                  stops the shipper and broker started here, by PID
#   run_load FROM TO TXN          pipes "TXN i" into sql for each i, retrying while PostgreSQL restarts
#   fault_rounds START [AFTER] [AFTER_CRASH]  SIGKILLs the shipper three times (restarted by START; AFTER runs
#                                 after each kill), the broker down 3 s, then PostgreSQL -m immediate
#                                 (AFTER_CRASH runs after it, the shipper held meanwhile)
#   wait_for_log FILE PATTERN [S] until FILE has a line matching PATTERN, at most S seconds (60)
#   wait_streaming LOG [S]        until the shipper logging to LOG streams, at most S seconds (30);
#                                 says so and fails when it does not
#   ok NAME / failed NAME         counts a check and says so
#   finish_suite NAME             prints "NAME: N passed, M failed"; fails if any failed

db=${db:-postgres}
passed=0
failed=0
broker_pid=""
shipper_pid=""

sql() { psql -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d "$db" "$@"; }

# The conninfo a shipper uses for $db.
conninfo() { echo "host=127.0.0.1 port=$port user=postgres dbname=$db"; }

fresh_database() {
	psql -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" 2>/dev/null
	psql -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d "$1" >/dev/null
}

drop_database() {
	psql -X -q -At -h 127.0.0.1 -p "$port" -U postgres -d "$1" \
		-c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '$1'" >/dev/null
	psql -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -c "DROP DATABASE $1"
}

# Control commands (down N, up N, topic NAME PARTITIONS) go to the FIFO $work/broker.ctl.
start_test_broker() {
	rm -f "$work/broker.ctl" "$work/bootstrap"
	mkfifo "$work/broker.ctl"
	build/bin/flatwal-test-broker --control "$work/broker.ctl" --bootstrap-file "$work/bootstrap" \
		--max-seconds 900 "$@" >"$work/broker.log" 2>&1 &
	broker_pid=$!
	for _ in $(seq 1 50); do [ -s "$work/bootstrap" ] && break; sleep 0.1; done
	bootstrap=$(cat "$work/bootstrap")
}

start_shipper() {
	local log=$1
	shift
	build/bin/flatwal-shipper -d "$(conninfo)" -b "$bootstrap" "$@" >>"$log" 2>&1 &
	shipper_pid=$!
}

confirmed_lsn() {
	sql -c "SELECT coalesce(confirmed_flush_lsn, '0/0') FROM pg_replication_slots WHERE slot_name = '$1'"
}

wait_confirmed() {
	local slot=$1 target=${2:-} seconds=${3:-60}
	[ -n "$target" ] || target=$(sql -c "SELECT pg_current_wal_lsn()")
	for _ in $(seq 1 $((seconds * 10))); do
		[ "$(sql -c "SELECT coalesce(confirmed_flush_lsn >= '$target', false) FROM pg_replication_slots WHERE slot_name = '$slot'")" = t ] &&
			return 0
		sleep 0.1
	done
	echo "slot $slot did not confirm $target (confirmed: $(confirmed_lsn "$slot"))"
	return 1
}

# wait_for_log FILE PATTERN [SECONDS]: until a line of FILE matches (grep), at most SECONDS (60).
wait_for_log() {
	for _ in $(seq 1 $((${3:-60} * 10))); do grep -q "$2" "$1" && return 0; sleep 0.1; done
	echo "timed out waiting for '$2' in $1"; tail -5 "$1"; return 1
}

wait_streaming() { wait_for_log "$1" 'msg=streaming' "${2:-30}"; }

stop_started() {
	[ -n "$shipper_pid" ] && kill -KILL "$shipper_pid" 2>/dev/null
	[ -n "$broker_pid" ] && kill -TERM "$broker_pid" 2>/dev/null
	shipper_pid="" broker_pid=""
	return 0
}

run_load() {
	local i attempt
	for i in $(seq "$1" "$2"); do
		for attempt in 1 2 3 4 5 6 7 8 9 10; do
			$3 "$i" | sql >/dev/null 2>&1 && break
			sleep 0.3  # PostgreSQL is restarting
		done
		sleep 0.01
	done
}

# The faults every shipper test survives, while the caller's load runs: the
# shipper SIGKILLed three times at random moments and started again with
# START, the broker off the network for three seconds in the second round,
# then PostgreSQL restarted with -m immediate. Needs $pgdata. AFTER_CRASH,
# when given, runs once PostgreSQL is back while the shipper is held
# (SIGSTOP, then SIGCONT): a slot resumes after a crash where it was last
# saved, which PostgreSQL 15 does not do for every confirmed position, and
# the hook sees that position before the shipper confirms anything again.
fault_rounds() {
	local start=$1 after_kill=${2:-true} after_crash=${3:-} round
	for round in 1 2 3; do
		sleep "0.$((RANDOM % 9 + 1))"
		kill -KILL "$shipper_pid"
		wait "$shipper_pid" 2>/dev/null || true
		echo "fault: shipper killed with SIGKILL (round $round)"
		$after_kill
		$start
		if [ "$round" = 2 ]; then
			echo "down 1" >"$work/broker.ctl"
			echo "fault: broker down for 3 s"
			sleep 3
			echo "up 1" >"$work/broker.ctl"
		fi
	done
	sleep 1
	[ -n "$after_crash" ] && kill -STOP "$shipper_pid"
	cluster_as_owner "$PG_BIN/pg_ctl" -D "$pgdata" -m immediate -w -t 60 restart -l "$pgdata/../server.log" >/dev/null
	echo "fault: PostgreSQL restarted with -m immediate"
	if [ -n "$after_crash" ]; then
		$after_crash
		kill -CONT "$shipper_pid"
	fi
}

ok() {
	echo "ok: $1"
	passed=$((passed + 1))
}

failed() {
	echo "FAILED: $1"
	failed=$((failed + 1))
}

finish_suite() {
	echo "$1: $passed passed, $failed failed"
	[ "$failed" = 0 ]
}
