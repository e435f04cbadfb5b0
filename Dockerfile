# Blockbell as a container: `docker compose up` runs it beside PostgreSQL (docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY pyproject.toml README.md ./
COPY app ./app
COPY bot ./bot
COPY watcher ./watcher
COPY storage ./storage
COPY notifier ./notifier
COPY locales ./locales
RUN pip install . && rm -rf /src

# An unprivileged user; its home holds ./data when the default SQLite database is used.
RUN useradd --create-home --home-dir /srv/blockbell blockbell
USER blockbell
WORKDIR /srv/blockbell

EXPOSE 8080
CMD ["blockbell", "run"]
