# QENEX application image: web (daphne), Celery worker and beat, and the migration Job all run from it.
# Two stages: the build stage has the compilers and pip; the runtime stage has only the virtualenv, the code,
# the collected static files and the PKCS#11 module, and runs as an unprivileged user.

FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential \
 && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv
COPY requirements/base.txt /tmp/requirements/base.txt
RUN /opt/venv/bin/pip install -r /tmp/requirements/base.txt
WORKDIR /app
COPY . .
# collectstatic needs settings; a throwaway key is used for this one step and never stored in the image.
RUN QENEX_ENV=production QENEX_VAR_DIR=/app/var \
    QENEX_SECRET_KEY="$(/opt/venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(64))')" \
    /opt/venv/bin/python manage.py collectstatic --noinput -v0

FROM python:3.11-slim-bookworm AS runtime
# The PKCS#11 module the KEK is used through. Debian's SoftHSM2 is in the image (its default path is
# QENEX_HSM_MODULE's default, /usr/lib/softhsm/libsofthsm2.so). For a hardware or network HSM, build
# `FROM qenex/qenex` and COPY the vendor's module (e.g. /opt/vendor/lib/libcklog2.so), then set
# QENEX_HSM_MODULE to that path in the deployment.
RUN apt-get update \
 && apt-get install -y --no-install-recommends softhsm2 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --uid 10001 --create-home --shell /usr/sbin/nologin qenex \
 && chown qenex /var/lib/softhsm/tokens
ENV PATH=/opt/venv/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    QENEX_ENV=production QENEX_VAR_DIR=/app/var QENEX_API_HOST=0.0.0.0 QENEX_API_PORT=8080 \
    QENEX_HSM_MODULE=/usr/lib/softhsm/libsofthsm2.so
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
# The code and static files stay root-owned (read-only to the app); only var/ is the app's to write.
RUN chown 10001 /app/var
WORKDIR /app

USER 10001
# 8080: the API and the portal (api.port); 9090: Prometheus metrics (metrics.port).
EXPOSE 8080 9090
# /health/live answers at any Host over plain HTTP (ProbeMiddleware), so this passes behind ALLOWED_HOSTS and HTTPS.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s CMD ["python", "/app/scripts/healthcheck.py"]
# Migrations run as a release step (deploy/k8s/qenex.yaml, Job qenex-migrate) before new web pods start.
# The seed's all-in-one start in the foreground (the container's main process; --daemon would detach and end it):
# web, plus worker and beat when REDIS_URL is set, metrics on 9090. deploy/ runs one role per container with
# --processes web|worker|beat.
CMD ["python", "main.py"]
