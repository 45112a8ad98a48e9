# Production image: one image for the ASGI web server, Celery workers, beat and the `migrate` step
# (docker-compose.yml, docs/deploy.md). Static files are baked in outside VAR_DIR, so the shared media
# volume on VAR_DIR does not hide them.
FROM node:20-slim AS npm
WORKDIR /app
COPY package.json package-lock.json ./
# Only what the pages serve: the dev tools (the chat benchmark's `ws`) stay out of the image.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error

FROM python:3.11-slim AS base
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VAR_DIR=/var/lib/socialflow STATIC_ROOT=/app/staticfiles
WORKDIR /app
# ffmpeg/ffprobe: the transcoder and the live replays.
RUN apt-get update && apt-get install -y --no-install-recommends ffmpeg && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 1000 socialflow && mkdir -p /var/lib/socialflow && chown socialflow /var/lib/socialflow
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
COPY --from=npm /app/node_modules ./node_modules
RUN SECRET_KEY=build-only python manage.py collectstatic --noinput -v 0
USER socialflow
EXPOSE 8000
# WEB_WORKERS uvicorn processes (default: one per core this container may use); their Prometheus
# samples go to one directory that /metrics sums, whichever process answers the scrape. No
# permessage-deflate on websockets: small chat frames, compressed once per socket (docs/live.md).
CMD ["sh", "-c", "rm -rf /tmp/prometheus && mkdir /tmp/prometheus && PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus exec uvicorn socialflow.asgi:application --host 0.0.0.0 --port 8000 --lifespan off --proxy-headers --timeout-keep-alive 75 --ws-per-message-deflate false --workers \"${WEB_WORKERS:-$(nproc)}\""]
