# PostgreSQL 15 with the flatwal extension, configured for logical decoding.
# Build from the repository root:  docker build -f docker/postgres.Dockerfile -t flatwal-postgres .
FROM postgres:15-bookworm AS build
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
RUN make -s WITH_SHIPPER=no && make -s WITH_SHIPPER=no install DESTDIR=/out

FROM postgres:15-bookworm
COPY --from=build /out/usr/ /usr/
# wal_level = logical, and PostgreSQL 15.19+ loads only allow-listed output plugins.
RUN { echo "wal_level = logical"; \
      echo "max_replication_slots = 10"; \
      echo "max_wal_senders = 10"; \
      echo "output_plugin_libraries = 'pgoutput, test_decoding, flatwal'"; \
    } >> /usr/share/postgresql/postgresql.conf.sample
