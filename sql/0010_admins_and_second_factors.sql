-- Who may enter the admin console, and second factors (TOTP, RFC 6238).

-- `gatehouse user create --admin`, `user set-admin`, `user unset-admin`.
ALTER TABLE users ADD COLUMN is_admin boolean NOT NULL DEFAULT false;

-- The TOTP secret, sealed with the server's secret like signing keys (the
-- server needs it to compute codes, so a digest will not do). Enabled once
-- the user has entered a first correct code; the last step used, so a code
-- works once (RFC 6238 §5.2).
ALTER TABLE users
    ADD COLUMN totp_secret_sealed bytea,
    ADD COLUMN totp_enabled_at    timestamptz,
    ADD COLUMN totp_last_step     bigint,
    ADD CONSTRAINT users_totp_enabled_has_secret CHECK (totp_enabled_at IS NULL OR totp_secret_sealed IS NOT NULL);

-- One-time recovery codes, by digest; a used one keeps its row (used_at) so
-- the account page can say how many are left.
CREATE TABLE recovery_codes (
    user_id     bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_digest bytea       NOT NULL CHECK (length(code_digest) = 32),
    created_at  timestamptz NOT NULL DEFAULT now(),
    used_at     timestamptz,
    PRIMARY KEY (user_id, code_digest)
);
