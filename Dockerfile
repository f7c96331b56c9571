# syntax=docker/dockerfile:1
# The Parley server as a container image. Images cannot be pulled on the project's own machines,
# so this file is not built there: its two install steps are the scripts deploy/pack-server.sh and
# deploy/install-server.sh, which apps/server/test/package.test.ts runs on the bare machine
# (pack, install into an empty folder from the npm registry, `npx parley-server`).
#
#   docker build -t parley-server .      (or: docker compose up, with compose.yaml)

FROM node:22-bookworm-slim AS build
WORKDIR /src
ENV ELECTRON_SKIP_BINARY_DOWNLOAD=1
COPY . .
RUN npm ci --no-audit --no-fund && npx tsc -b apps/server && sh deploy/pack-server.sh /out

FROM node:22-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 DATA_DIR=/var/lib/parley
RUN useradd --system --home-dir /var/lib/parley --shell /usr/sbin/nologin parley \
  && mkdir -p /var/lib/parley && chown parley:parley /var/lib/parley && chmod 700 /var/lib/parley
COPY deploy/install-server.sh /opt/deploy/install-server.sh
COPY --from=build /out/ /opt/pack/
RUN sh /opt/deploy/install-server.sh /opt/parley /opt/pack/parley-server-*.tgz && rm -rf /opt/pack
WORKDIR /opt/parley
USER parley
VOLUME /var/lib/parley
EXPOSE 3000
# Readiness, as a load balancer would ask (database, migrations, blob store, Redis).
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s \
  CMD node -e "fetch('http://127.0.0.1:'+process.env.PORT+'/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# SIGTERM: the server stops accepting, hands its sockets back to the clients, finishes what is under way, exits 0.
STOPSIGNAL SIGTERM
CMD ["node_modules/.bin/parley-server"]
