# PostgreSQL 15 with the flatwal extension, configured for logical decoding.
# Build from the repository root:  docker build -f docker/postgres.Dockerfile -t flatwal-postgres .
# BASE: the official image by default; the tests pass a Debian-built stand-in
# (test/containers/postgres-base.Dockerfile), as no registry is reachable there.
ARG BASE=postgres:15-bookworm
FROM ${BASE} AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential postgresql-server-dev-15 \
        flatbuffers-compiler libflatbuffers-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Makefile ./
COPY format format
COPY common common
COPY plugin plugin
COPY sql sql
RUN make -s -j"$(nproc)" WITH_SHIPPER=no && make -s WITH_SHIPPER=no install DESTDIR=/out

FROM ${BASE}
COPY --from=build /out/usr/ /usr/
# wal_level = logical, and PostgreSQL 15.19+ loads only allow-listed output plugins.
RUN { echo "wal_level = logical"; \
      echo "max_replication_slots = 10"; \
      echo "max_wal_senders = 10"; \
      echo "output_plugin_libraries = 'pgoutput, test_decoding, flatwal'"; \
    } >> /usr/share/postgresql/postgresql.conf.sample
