# flatwal-shipper as a small sidecar image.
# Build from the repository root:  docker build -f docker/shipper.Dockerfile -t flatwal-shipper .
FROM debian:12 AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential pkg-config postgresql-server-dev-15 \
        flatbuffers-compiler libflatbuffers-dev librdkafka-dev libpq-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN make -s build/bin/flatwal-shipper

FROM debian:12-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends librdkafka1 libpq5 ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --no-create-home flatwal
COPY --from=build /src/build/bin/flatwal-shipper /usr/local/bin/flatwal-shipper
USER flatwal
# Settings come from /etc/flatwal/shipper.conf and FLATWAL_* variables; secrets
# (PGPASSWORD, FLATWAL_KAFKA_SASL_PASSWORD) from the environment, never flags.
ENTRYPOINT ["/usr/local/bin/flatwal-shipper", "--config", "/etc/flatwal/shipper.conf"]
