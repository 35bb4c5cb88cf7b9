# QENEX application image: web (daphne), Celery worker and beat all run from it.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 QENEX_ENV=production QENEX_VAR_DIR=/app/var
WORKDIR /app

COPY requirements/base.txt requirements/base.txt
RUN pip install --no-cache-dir -r requirements/base.txt

COPY . .
# collectstatic needs settings; a throwaway key is used for this one step and never stored in the image.
RUN QENEX_SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(64))')" \
    python manage.py collectstatic --noinput -v0 \
 && useradd --uid 10001 --create-home qenex && mkdir -p /app/var && chown -R qenex /app/var

USER qenex
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s CMD ["python", "/app/scripts/healthcheck.py"]
# Run `python manage.py migrate` as a release step before starting new web pods.
ENV QENEX_API_HOST=0.0.0.0
CMD ["python", "manage.py", "serve"]
