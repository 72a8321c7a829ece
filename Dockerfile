# Production image: granian serving the WSGI app (manage.py serve); the same image runs the Celery worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_PYTHON_DOWNLOADS=never \
    UV_COMPILE_BYTECODE=1 \
    PATH="/opt/venv/bin:$PATH"

# uv pinned: a new uv may read or resolve uv.lock differently, and an image built next year must hold
# what this one holds.
RUN pip install --no-cache-dir uv==0.13.10 \
    && useradd --system --create-home --home-dir /app app

WORKDIR /app
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project

COPY . .
# Bytecode compiled here, the dependencies' by uv above: PYTHONDONTWRITEBYTECODE (and a read-only
# /app) would otherwise have every process compile every module it imports, each time it starts.
# collectstatic needs settings to load; these values exist only for this build step.
# The named volumes' mount points are made here, owned by app: Docker would otherwise create them
# owned by root, and photo uploads and letters would fail with PermissionError.
RUN python -m compileall -q campaign petitions prisoners \
    && SECRET_KEY=collectstatic-only DEBUG=false python manage.py collectstatic --noinput \
    && mkdir -p /app/var/media /app/var/private && chown -R app:app /app/var

USER app
EXPOSE 8000
# granian (WSGI): workers and threads from WEB_CONCURRENCY / WEB_THREADS, logs without client addresses.
CMD ["python", "manage.py", "serve", "--bind", "0.0.0.0:8000"]
