-- The audit log: every change made from the command line or the console,
-- every sign-in, lockout, revocation by replay or reuse detection, key
-- rotation and import. Details never hold a secret.

CREATE TABLE audit_events (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at    timestamptz NOT NULL DEFAULT now(),
    -- `cli`, `system`, `anonymous` or `user:<username>`.
    actor          text        NOT NULL CHECK (length(actor) BETWEEN 1 AND 200),
    action         text        NOT NULL CHECK (length(action) BETWEEN 1 AND 100),
    -- `user:<username>`, `client:<client_id>`, `key:<kid>`, `scope:<name>`.
    target         text        CHECK (length(target) <= 400),
    client_address text        CHECK (length(client_address) <= 100),
    details        jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(details) = 'object'),
    -- occurred_at + OIDC_AUDIT_RETENTION_DAYS as set when it was written; the sweep deletes after it.
    expires_at     timestamptz NOT NULL
);
CREATE INDEX audit_events_occurred_idx ON audit_events (occurred_at);
CREATE INDEX audit_events_actor_idx ON audit_events (actor, occurred_at);
CREATE INDEX audit_events_target_idx ON audit_events (target, occurred_at) WHERE target IS NOT NULL;
CREATE INDEX audit_events_expires_idx ON audit_events (expires_at);
