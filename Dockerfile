# The production image: web (gunicorn), worker and beat all run from it.
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 gettext \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml requirements.lock ./
# The project itself has no packages to install (packages = []): this installs its
# pinned runtime dependencies only.
RUN pip install --no-cache-dir -c requirements.lock .
COPY . .
RUN DEBUG=true python manage.py compilemessages --ignore=.venv -v0 \
 && DEBUG=true python manage.py collectstatic --noinput -v0 \
 && rm -f .env
# The erasure ledger's copy, the audit heads: named volumes mounted here start with this owner.
RUN useradd --create-home privacyops \
 && mkdir -p /app/var /var/lib/privacyops/erasure-ledger /var/lib/privacyops/audit-heads \
 && chown privacyops /app/var /var/lib/privacyops/erasure-ledger /var/lib/privacyops/audit-heads
USER privacyops
EXPOSE 8000
# Three processes for two cores, four threads each: the threads overlap the waits on
# PostgreSQL and Redis, and a long export never blocks a whole process nor is it killed as a
# hung worker (docs/operations.md, "The web server").
CMD ["gunicorn", "privacyops.wsgi:application", "--bind", "0.0.0.0:8000", "--worker-class", "gthread", "--workers", "3", "--threads", "4"]
