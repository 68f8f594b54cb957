# Kintsugi in one image: the webhook server (`kintsugi serve`, the default) and the arq worker
# (`kintsugi worker`). Settings come from the environment; see .env.example and docker-compose.yml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    UV_NO_CACHE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/srv/kintsugi/.venv \
    PATH=/srv/kintsugi/.venv/bin:$PATH

# bubblewrap sandboxes the repositories' tests and functions; git clones them and commits fixes.
RUN apt-get update \
    && apt-get install -y --no-install-recommends bubblewrap git \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 10001 --user-group kintsugi

# uv, pinned as in the Makefile, installs exactly the set uv.lock pins.
ARG UV_VERSION=0.13.9
RUN pip install "uv==${UV_VERSION}"

WORKDIR /srv/kintsugi
# Installed from the source tree the way `make install` and .ci/run do (`uv sync --frozen`, the
# project editable), so app/database.py finds migrations/ beside app/. Only the runtime set: no
# dev extra, so no pytest; repositories are tested in environments of their own.
COPY pyproject.toml uv.lock README.md app.yml ./
COPY app ./app
COPY workers ./workers
COPY functions ./functions
COPY migrations ./migrations
COPY bench/corpus ./bench/corpus
RUN uv sync --frozen --no-dev \
    && mkdir -p /data/environments \
    && chown -R kintsugi:kintsugi /data

USER kintsugi
ENV DATA_DIR=/data
EXPOSE 8000

# No curl in the slim image: ask /healthz with the standard library.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; r = urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4); sys.exit(r.status != 200)"]

ENTRYPOINT ["kintsugi"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
