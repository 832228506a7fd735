-- What carrying a django-oidc-provider deployment over needs
-- (`gatehouse import django-oidc-provider`).

-- django-oidc-provider's `sub` is the Django user id as text ("42") or what
-- OIDC_IDTOKEN_SUB_GENERATOR made of it; relying parties have stored those,
-- so imported users keep theirs. Native users keep their UUIDs: the cast
-- writes each one as the same lower-case text the server has always sent.
-- OIDC Core §2: at most 255 ASCII characters.
ALTER TABLE users ALTER COLUMN subject DROP DEFAULT;
ALTER TABLE users ALTER COLUMN subject TYPE text USING subject::text;
ALTER TABLE users ALTER COLUMN subject SET DEFAULT gen_random_uuid()::text;
ALTER TABLE users ADD CONSTRAINT users_subject_check
    CHECK (length(subject) BETWEEN 1 AND 255 AND subject ~ '^[ -~]+$');

-- An imported password hash Gatehouse cannot verify (argon2, bcrypt, an
-- unusable Django password): the user signs in only after an operator sets
-- a new password (`gatehouse user set-password`), which clears this.
ALTER TABLE users ADD COLUMN password_reset_required boolean NOT NULL DEFAULT false;

-- What a consent page shows about a client, as django-oidc-provider's
-- client model has it (OIDC Dynamic Client Registration §2 names).
ALTER TABLE clients
    ADD COLUMN client_uri text CHECK (length(client_uri) <= 2000),
    ADD COLUMN tos_uri    text CHECK (length(tos_uri) <= 2000),
    ADD COLUMN logo_uri   text CHECK (length(logo_uri) <= 2000),
    ADD COLUMN contact_email text CHECK (length(contact_email) <= 254);

-- What an import has carried over before, by the source's own key, so a
-- second run updates instead of duplicating, and never brings back what
-- Gatehouse has since rotated, revoked, withdrawn or swept.
CREATE TABLE imported_records (
    source      text        NOT NULL,
    kind        text        NOT NULL,
    source_key  text        NOT NULL,
    imported_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, kind, source_key)
);
