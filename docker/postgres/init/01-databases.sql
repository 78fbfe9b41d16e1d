-- Runs once, when the postgres container starts on an empty postgres-data volume, as POSTGRES_USER
-- connected to POSTGRES_DB (= prefect, created by the image's entrypoint). To re-run it, remove the volume:
-- `docker compose down -v` (this deletes the Prefect database and the manifest index).

-- The manifest index of airnub_prefect_starter (AIRNUB_INDEX_URL=postgresql+psycopg://...@postgres:5432/airnub).
CREATE DATABASE airnub;

-- The Prefect server database needs pg_trgm (Prefect 3 on PostgreSQL).
\connect prefect
CREATE EXTENSION IF NOT EXISTS pg_trgm;
