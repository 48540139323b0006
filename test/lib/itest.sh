# itest.sh — shared by the integration tests. Source it after setting
# $port (the cluster) and $work (a scratch directory).

# Drops and creates database $1, then runs the SQL on stdin in it.
fresh_database() {
	psql -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" 2>/dev/null
	psql -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d "$1" >/dev/null
}

# Drops database $1 and its replication slots.
drop_database() {
	psql -X -q -At -h 127.0.0.1 -p "$port" -U postgres -d "$1" \
		-c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '$1'" >/dev/null
	psql -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -c "DROP DATABASE $1"
}

# Starts the test broker with a control FIFO at $work/broker.ctl; sets
# $bootstrap and $broker_pid (stop it by that PID).
start_test_broker() {
	mkfifo "$work/broker.ctl"
	build/bin/flatwal-test-broker --control "$work/broker.ctl" --bootstrap-file "$work/bootstrap" \
		--max-seconds 900 >"$work/broker.log" 2>&1 &
	broker_pid=$!
	for _ in $(seq 1 50); do [ -s "$work/bootstrap" ] && break; sleep 0.1; done
	bootstrap=$(cat "$work/bootstrap")
}
