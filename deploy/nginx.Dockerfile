# The front of a compose deployment: Debian's nginx with the RTMP module (the same packages as a
# bare-metal install and CI). Proxies HTTP/WebSockets to the web processes on :80, takes RTMP on
# :1935 and serves live HLS on :8080; deploy/nginx-rtmp.conf is rendered from APP and INGEST_SECRET
# at every start.
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends nginx libnginx-mod-rtmp gettext-base \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --uid 1000 --no-create-home socialflow
COPY deploy/nginx-rtmp.conf /etc/nginx/nginx-rtmp.conf.template
COPY deploy/nginx-start.sh /usr/local/bin/nginx-start
# Workers run as uid 1000, the app's user, so recordings and HLS on the shared volume are theirs too.
CMD ["nginx-start"]
