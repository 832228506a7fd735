-- The admin console rides on the browser session: when its second factor
-- was checked, and when the console was last used (it expires after
-- OIDC_ADMIN_SESSION_EXPIRE seconds without use).
ALTER TABLE sessions
    ADD COLUMN second_factor_at timestamptz,
    ADD COLUMN console_seen_at  timestamptz;
