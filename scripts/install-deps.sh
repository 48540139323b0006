#!/usr/bin/env bash
# Installs the Debian 12 packages flatwal needs to build, test and demo.
# Does nothing when they are all present; uses sudo when not root.
set -euo pipefail

packages=(
	build-essential pkg-config
	postgresql-15 postgresql-server-dev-15 postgresql-contrib
	postgresql-15-wal2json postgresql-15-decoderbufs
	flatbuffers-compiler libflatbuffers-dev
	librdkafka-dev libpq-dev libcmocka-dev libjemalloc-dev
	kcat python3 python3-confluent-kafka python3-flatbuffers python3-yaml bc
	clang libfuzzer-14-dev openssl libcurl4-openssl-dev curl clickhouse-server libcpp-httplib-dev
	podman runc debootstrap
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
echo "installing: ${missing[*]}"
$sudo apt-get update -q
# clickhouse-server is only run by the tests, from their own config: keep its
# package from starting the system service (policy-rc.d 101 = "not now").
policy_added=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
	$sudo chmod 755 /usr/sbin/policy-rc.d
	policy_added=yes
fi
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
[ -z "$policy_added" ] || $sudo rm -f /usr/sbin/policy-rc.d
