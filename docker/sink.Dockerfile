# flatwal-sink: flatwal topics into PostgreSQL or ClickHouse.
# Build from the repository root:  docker build -f docker/sink.Dockerfile -t flatwal-sink .
# BASE: the Debian 12 image to build on and run from (a locally made one in the tests).
ARG BASE=debian:12
# The build stage is the same as shipper.Dockerfile's (it builds both programs),
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
 && apt-get install -y --no-install-recommends librdkafka1 libpq5 libcurl4 libcpp-httplib0.11 ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --no-create-home flatwal
COPY --from=build /src/build/bin/flatwal-sink /usr/local/bin/flatwal-sink
USER flatwal
# Arguments are flatwal-sink's options (flatwal-sink --help); the target
# password comes from PGPASSWORD, never the command line.
ENTRYPOINT ["/usr/local/bin/flatwal-sink"]
