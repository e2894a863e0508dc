# speechsite: one image for the web process, the workers and the reaper.
# Written and linted (hadolint, see tests/test_dockerfile.py) but not built here:
# the development machines have no Docker engine.
#
#   docker build -t speechsite .
#   docker run -e SECRET_KEY=... -e ALLOWED_HOSTS=... -e REDIS_URL=... -e DATABASE_URL=... speechsite web
#   docker run ... speechsite worker      # add --gpus all on a GPU host
#   docker run ... speechsite reaper
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DATA_DIR=/data \
    HF_HOME=/data/huggingface

RUN apt-get update \
    && apt-get install -y --no-install-recommends ffmpeg=7:5.1.* tini=0.19.* \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt requirements-nodeps.txt ./
# The CPU wheel of torch keeps the image small; for GPU workers build with
# --build-arg TORCH_INDEX=https://download.pytorch.org/whl/cu128
ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu
RUN pip install --extra-index-url "${TORCH_INDEX}" -r requirements.txt \
    && pip install --no-deps -r requirements-nodeps.txt

COPY . .
RUN DEBUG=true python manage.py collectstatic --noinput \
    && useradd --create-home --uid 1000 speechsite \
    && mkdir -p /data \
    && chown speechsite /data
USER 1000
VOLUME ["/data"]
EXPOSE 8000

ENTRYPOINT ["tini", "--", "/app/bin/container-entrypoint"]
CMD ["web"]
