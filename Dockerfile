# One image for every Sihua process: the five services' api, worker and migrations.
# The command is chosen per container (docker-compose.yml, deploy/k8s/):
#   api        uvicorn <name>.main:create_app --factory --host 0.0.0.0 --port 8000
#   worker     python -m <name>.worker
#   migrations python -m sihua_shared.migrate <name>
FROM python:3.12-slim

# HOME=/tmp: caches that libraries keep under $HOME stay writable with a read-only root filesystem.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    SIHUA_DATA_DIR=/data \
    HOME=/tmp

# A fixed numeric uid/gid, so that Kubernetes' runAsNonRoot can check it and volumes can be chowned to it.
RUN groupadd --system --gid 10001 sihua \
 && useradd --system --uid 10001 --gid sihua --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin sihua \
 && mkdir -p /data \
 && chown sihua:sihua /data

# Non-editable install: the packages (with their migrations and data files) land in site-packages,
# and the source tree is not kept in the image.
COPY shared /src/shared
COPY services /src/services
RUN cd /src \
 && pip install ./shared ./services/registry ./services/diagnosis ./services/catalog ./services/funding ./services/evaluation \
 && cd / \
 && rm -rf /src

WORKDIR /app
USER sihua:sihua
EXPOSE 8000

# No default process: every container says which one it runs.
CMD ["python", "-c", "import sys; sys.exit('sihua image: give a command, e.g. uvicorn registry.main:create_app --factory --host 0.0.0.0 --port 8000')"]
