#!/usr/bin/env bash
# The container images, built and run with podman (runc):
#  1. a debian:12 base made here with debootstrap (no registry is reachable),
#     a Debian-built PostgreSQL 15 standing in for the official postgres
#     image (postgres-base.Dockerfile), then docker/postgres.Dockerfile,
#     docker/shipper.Dockerfile and docker/sink.Dockerfile built on them;
#  2. the PostgreSQL and shipper containers on the host network, against the
#     test broker on the host: rows inserted in the container's database
#     arrive in Kafka (read back with flatwal-consume), and the shipper's
#     /health answers from its container;
#  3. the sink container applies the topics to a second database of the
#     PostgreSQL container: every row arrives.
# Apache Kafka's image (docker/compose.yaml) is not run here: it cannot be pulled.
#
#   test/containers/images.sh      (as root; scripts/test.sh runs it)
# Prints "N passed, M failed". The images' layers are kept between runs (see
# "The layer store" below); the containers and this run's tags go at the end.
set -uo pipefail
cd "$(dirname "$0")/../.."
source test/lib/itest.sh
work=$(mktemp -d /tmp/flatwal-images.XXXXXX)
# This run's names: runs from two checkouts at once share the layer store.
run=r$$
containers=()
cleanup() {
	for c in "${containers[@]}"; do pm rm -f -t 5 "$c" >/dev/null 2>&1; done
	# Untagged, the images stay as the build cache (no prune: it would take the
	# build stages' layers too, which no tag holds); the store's bounds below
	# keep it from growing without end.
	for image in flatwal-postgres flatwal-shipper flatwal-sink; do pm untag "localhost/$image:$run" >/dev/null 2>&1; done
	stop_started
	rm -rf "$work"
}
trap cleanup EXIT

# The default runtime (crun) fails on this kernel's cgroup layout, and default
# ulimits cannot be raised here: runc, and no default ulimits.
printf '[containers]\ndefault_ulimits = []\n' >"$work/containers.conf"
export CONTAINERS_CONF="$work/containers.conf"

# The layer store. Rebuilding every image from nothing each run is ten
# minutes of CPU (apt-get in four stages, PostgreSQL's packages, both programs
# compiled): the store under FLATWAL_IMAGE_CACHE keeps the layers, so a run
# builds again only what its sources changed (the programs' compile when
# their folders did). A week at most, so that Debian's updates come in, and
# 8 GiB at most; a machine without it builds everything and makes it.
cache=${FLATWAL_IMAGE_CACHE:-/var/cache/flatwal}
store="$cache/podman"
if [ -n "$(find "$store/made" -mtime +7 2>/dev/null)" ] ||
	[ "$(du -sm "$store" 2>/dev/null | cut -f1)" -gt 8192 ] 2>/dev/null; then
	rm -rf "$store"
fi
mkdir -p "$store" && { [ -e "$store/made" ] || touch "$store/made"; }
# Podman records these paths in its database and refuses others later: fixed ones.
pm() {
	podman --runtime runc --root "$store/storage" --runroot /run/flatwal-images/run \
		--tmpdir /run/flatwal-images/libpod "$@"
}

step() { echo "   $(date +%H:%M:%S) $*"; }
build() {  # LOG TAG DOCKERFILE [BASE]
	local log=$1 tag=$2 file=$3 base=${4:-localhost/debian:12}
	pm build --network host --build-arg "BASE=$base" -f "$file" -t "$tag" . >"$work/$log" 2>&1 ||
		{ tail -30 "$work/$log"; return 1; }
}

# 1. Images.
step "Debian 12 base (debootstrap bookworm minbase, or the cached one)"
built=""
# The sources the official debian:12 image has: updates and security too
# (PostgreSQL 15.19+, which knows output_plugin_libraries, comes from those).
sources() {
	rm -f "$1/etc/apt/sources.list"
	cat >"$1/etc/apt/sources.list.d/debian.sources" <<'SOURCES'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
}
# The base is kept in the layer store, and as a tar beside it (a week at
# most) that outlives a store emptied for its size: debootstrap is a minute
# of every run otherwise. A machine without either makes it anew.
cached_base="$cache/debian-12-minbase.tar"
base_from_store() {
	pm image exists localhost/debian:12 && step "   (from the layer store)"
}
base_from_cache() {
	[ -n "$(find "$cached_base" -mtime -7 2>/dev/null)" ] && pm import "$cached_base" localhost/debian:12 >/dev/null 2>&1 &&
		step "   (from $cached_base)"
}
base_from_debootstrap() {
	debootstrap --variant=minbase bookworm "$work/rootfs" http://deb.debian.org/debian >"$work/debootstrap.log" 2>&1 &&
		sources "$work/rootfs" && tar -C "$work/rootfs" -cf "$work/base.tar" . && rm -rf "$work/rootfs" &&
		pm import "$work/base.tar" localhost/debian:12 >/dev/null &&
		{ mkdir -p "$cache" && mv "$work/base.tar" "$cached_base.new" && mv "$cached_base.new" "$cached_base" || true; }
}
if base_from_store || base_from_cache || base_from_debootstrap; then
	step "postgres stand-in base" && build base.log localhost/postgres-standin:15 test/containers/postgres-base.Dockerfile &&
		step "flatwal-postgres" && build postgres.log "localhost/flatwal-postgres:$run" docker/postgres.Dockerfile localhost/postgres-standin:15 &&
		step "flatwal-shipper" && build shipper.log "localhost/flatwal-shipper:$run" docker/shipper.Dockerfile &&
		step "flatwal-sink" && build sink.log "localhost/flatwal-sink:$run" docker/sink.Dockerfile && built=yes
else
	tail -20 "$work/debootstrap.log"
fi
if [ -n "$built" ]; then
	ok "images built with podman: flatwal-postgres (on a Debian-built PostgreSQL 15 base), flatwal-shipper, flatwal-sink"
else
	failed "images did not build"
	finish_suite "container images"
	exit 1
fi

# 2. PostgreSQL and the shipper in containers, the test broker on the host.
port=$(test/lib/free-port.sh)
http_port=$(test/lib/free-port.sh)
db=shop
export PGPASSWORD=images-secret
start_test_broker
containers+=(flatwal-images-postgres-$run)
pm run -d --name flatwal-images-postgres-$run --network host -e POSTGRES_PASSWORD="$PGPASSWORD" -e POSTGRES_DB=shop \
	-v "$PWD/docker/init-flatwal.sql:/docker-entrypoint-initdb.d/10-flatwal.sql:ro" "localhost/flatwal-postgres:$run" \
	postgres -c port="$port" -c listen_addresses=127.0.0.1 >/dev/null
ready=""
for _ in $(seq 1 600); do
	sql -c "SELECT 1" >/dev/null 2>&1 && ready=yes && break
	[ "$(pm inspect -f '{{.State.Running}}' flatwal-images-postgres-$run 2>/dev/null)" = true ] || break
	sleep 0.1
done
if [ -z "$ready" ]; then
	failed "the PostgreSQL container did not start"
	pm logs flatwal-images-postgres-$run 2>&1 | tail -20
	finish_suite "container images"
	exit 1
fi
sql <<'SQL' >/dev/null
CREATE TABLE orders (id bigint PRIMARY KEY, status text NOT NULL);
SELECT flatwal.add_table('orders');
CREATE DATABASE shop_target;
SQL
cat >"$work/shipper.conf" <<CONF
[postgres]
conninfo = host=127.0.0.1 port=$port dbname=shop user=postgres
slot = images
[kafka]
bootstrap.servers = $bootstrap
[shipper]
topic_prefix = images
http = 127.0.0.1:$http_port
CONF
chmod 644 "$work/shipper.conf"
containers+=(flatwal-images-shipper-$run)
pm run -d --name flatwal-images-shipper-$run --network host -e PGPASSWORD \
	-v "$work/shipper.conf:/etc/flatwal/shipper.conf:ro" "localhost/flatwal-shipper:$run" >/dev/null
# Rows written before the slot exists would come as the initial snapshot's reads: stream first.
for _ in $(seq 1 600); do pm logs flatwal-images-shipper-$run 2>&1 | grep -q 'msg=streaming' && break; sleep 0.1; done
sql -c "INSERT INTO orders SELECT g, 'new' FROM generate_series(1, 1000) g" \
	-c "UPDATE orders SET status = 'paid' WHERE id <= 100" >/dev/null
wait_confirmed images "" 120 >/dev/null
# A short session timeout: the test broker can hold a first JoinGroup for the
# session timeout less a second (44 s by default), longer than the wait below.
timeout 90 build/bin/flatwal-consume -b "$bootstrap" -t images.public.orders -g images --from-beginning \
	--exit-when-idle 3000 -X session.timeout.ms=6000 >"$work/consumed.jsonl" 2>"$work/consume.err"
arrived=$(grep -c '"op":"insert"' "$work/consumed.jsonl")
updated=$(grep -c '"op":"update"' "$work/consumed.jsonl")
health=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$http_port/health")
if [ "$arrived" = 1000 ] && [ "$updated" = 100 ] && [ "$health" = 200 ]; then
	ok "PostgreSQL and shipper containers on the host network: 1000 inserts and 100 updates arrived; /health 200"
else
	failed "shipper container: $arrived inserts, $updated updates, /health $health"
	pm logs flatwal-images-shipper-$run 2>&1 | tail -20
	tail -5 "$work/consume.err"
fi

# 3. The sink container into a second database of the PostgreSQL container.
containers+=(flatwal-images-sink-$run)
pm run -d --name flatwal-images-sink-$run --network host -e PGPASSWORD "localhost/flatwal-sink:$run" \
	-b "$bootstrap" -d "host=127.0.0.1 port=$port dbname=shop_target user=postgres" --topic-prefix images \
	--stats-interval 0 -X session.timeout.ms=6000 >/dev/null
applied=""
for _ in $(seq 1 600); do
	applied=$(db=shop_target sql -c "SELECT count(*) FILTER (WHERE status = 'paid') || '/' || count(*) FROM public.orders" 2>/dev/null)
	[ "$applied" = "100/1000" ] && break
	sleep 0.1
done
if [ "$applied" = "100/1000" ]; then
	ok "sink container: the target database holds every row (100 paid of 1000)"
else
	failed "sink container: target has ${applied:-no table}"
	pm logs flatwal-images-sink-$run 2>&1 | tail -20
fi
finish_suite "container images"
