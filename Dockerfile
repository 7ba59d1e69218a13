# syntax=docker/dockerfile:1
# One image for every service; the command picks it: `services.projects api|worker|migrate`.

FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/venv
# Dependencies in their own layer: they change far less often than the code.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml','rb'))['project']['dependencies']))" > requirements.txt \
 && /opt/venv/bin/pip install -r requirements.txt

FROM python:3.11-slim-bookworm AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
RUN groupadd --system --gid 10001 koers \
 && useradd --system --uid 10001 --gid koers --no-create-home --shell /usr/sbin/nologin koers
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
COPY shared ./shared
COPY services ./services
COPY reference ./reference
USER 10001:10001
EXPOSE 8001 8081
# For docker-compose and plain docker; Kubernetes uses its own probes.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('HEALTH_PORT', '8001')}/healthz\", timeout=2)"]
ENTRYPOINT ["python", "-m"]
CMD ["services.projects", "api"]
