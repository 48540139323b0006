# A stand-in for the official postgres:15-bookworm image, made from Debian's
# own PostgreSQL 15 because no registry is reachable where the tests run. It
# keeps the parts of the official image's contract that
# docker/postgres.Dockerfile and docker/compose.yaml rely on: the binaries on
# PATH, the sample configuration at /usr/share/postgresql/postgresql.conf.sample,
# PGDATA, and an entrypoint that honours POSTGRES_PASSWORD, POSTGRES_DB,
# POSTGRES_HOST_AUTH_METHOD, /docker-entrypoint-initdb.d and `postgres -c …`.
ARG BASE=localhost/debian:12
FROM ${BASE}
# No "main" cluster from the package: the entrypoint makes the one in PGDATA.
RUN mkdir -p /etc/postgresql-common/createcluster.d \
 && echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.d/no-main.conf \
 && apt-get update \
 && apt-get install -y --no-install-recommends postgresql-15 postgresql-client-15 \
 && rm -rf /var/lib/apt/lists/* \
 && mv /usr/share/postgresql/15/postgresql.conf.sample /usr/share/postgresql/ \
 && ln -s ../postgresql.conf.sample /usr/share/postgresql/15/postgresql.conf.sample \
 && mkdir -p /var/run/postgresql /docker-entrypoint-initdb.d \
 && chown postgres:postgres /var/run/postgresql
ENV PATH=/usr/lib/postgresql/15/bin:$PATH PGDATA=/var/lib/postgresql/data
COPY test/containers/postgres-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["postgres"]
