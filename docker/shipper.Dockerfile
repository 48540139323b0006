# flatwal-shipper as a small sidecar image.
# Build from the repository root:  docker build -f docker/shipper.Dockerfile -t flatwal-shipper .
# BASE: the Debian 12 image to build on and run from (a locally made one in the tests).
ARG BASE=debian:12
# The build stage is the same as sink.Dockerfile's (it builds both programs),
# so one build cache serves both images.
FROM ${BASE} AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential pkg-config postgresql-server-dev-15 \
        flatbuffers-compiler libflatbuffers-dev librdkafka-dev libpq-dev libcurl4-openssl-dev libcpp-httplib-dev libjemalloc-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Only what the programs are built from: a change elsewhere (tests, docs)
# leaves the compile's layer cached.
COPY Makefile ./
COPY format format
COPY common common
COPY runtime runtime
COPY shipper shipper
COPY sink sink
RUN make -s -j"$(nproc)" build/bin/flatwal-shipper build/bin/flatwal-sink

FROM ${BASE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends librdkafka1 libpq5 libcpp-httplib0.11 libjemalloc2 ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --no-create-home flatwal
COPY --from=build /src/build/bin/flatwal-shipper /usr/local/bin/flatwal-shipper
USER flatwal
# Settings come from /etc/flatwal/shipper.conf and FLATWAL_* variables; secrets
# (PGPASSWORD, FLATWAL_KAFKA_SASL_PASSWORD) from the environment, never flags.
# Metrics and health: add --http 0.0.0.0:9187 (inside the container) and publish the port.
ENTRYPOINT ["/usr/local/bin/flatwal-shipper", "--config", "/etc/flatwal/shipper.conf"]
