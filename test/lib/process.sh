# process.sh — stopping a server the tests started, by its PID (never by name).
#   stop_pid PID SIGNAL [TENTHS]   sends SIGNAL, waits up to TENTHS tenths of a
#                                  second (100) for the process to go, then SIGKILL
stop_pid() {
	local pid=$1 signal=$2 tenths=${3:-100} i
	kill "-$signal" "$pid" 2>/dev/null || return 0
	for i in $(seq 1 "$tenths"); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	return 0
}
