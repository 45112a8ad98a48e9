# Production image: one image for the ASGI web server, Celery workers and beat.
FROM python:3.11-slim AS base
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VAR_DIR=/var/lib/socialflow
WORKDIR /app
RUN useradd --create-home --uid 1000 socialflow && mkdir -p /var/lib/socialflow && chown socialflow /var/lib/socialflow
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN SECRET_KEY=build-only python manage.py collectstatic --noinput -v 0
USER socialflow
EXPOSE 8000
CMD ["uvicorn", "socialflow.asgi:application", "--host", "0.0.0.0", "--port", "8000", "--lifespan", "off", "--proxy-headers", "--workers", "2"]
