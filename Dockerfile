# The one image behind web, worker, beat and migrate in docker-compose.yml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ITSM_VAR_DIR=/app/var

WORKDIR /app

# Dependencies first: this layer is rebuilt only when the pins change.
COPY requirements.txt .
RUN pip install -r requirements.txt

# The code belongs to root and is read-only for the app user; only var/ (uploads, collected
# static files; volumes in compose) is writable.
RUN useradd --create-home --uid 1000 --user-group itsm \
    && mkdir -p /app/var/media /app/var/static \
    && chown -R itsm:itsm /app/var
COPY . .

USER itsm
EXPOSE 8000
CMD ["gunicorn", "itsm.wsgi:application", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
