#!/bin/sh
# Start of the compose front (deploy/nginx.Dockerfile): render the template from the environment, run nginx.
set -eu
: "${APP:?APP: host:port of the web processes, e.g. web:8000}"
: "${INGEST_SECRET:?INGEST_SECRET: the app's LIVE_INGEST_SECRET}"
mkdir -p /var/lib/socialflow/hls /var/lib/socialflow/live-recordings
chown socialflow /var/lib/socialflow/hls /var/lib/socialflow/live-recordings
# Only these two: nginx's own $variables ($http_upgrade, ...) must reach nginx untouched.
{ echo "user socialflow;"; envsubst '${APP} ${INGEST_SECRET}' < /etc/nginx/nginx-rtmp.conf.template; } > /etc/nginx/nginx.conf
exec nginx -g 'daemon off;'
