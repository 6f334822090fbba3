-- nsdist sqlstore schema 2 (PostgreSQL). Keep in step with sqlite/0002_pending_source.sql.
-- A Connect flow's source (the client's address), hashed, so that a store
-- refuses a flood of starts from one source without counting the others'.
ALTER TABLE nsdist_pending ADD COLUMN source_hash TEXT NOT NULL DEFAULT '';
CREATE INDEX nsdist_pending_source ON nsdist_pending (source_hash);
