-- Gatehouse schema, version 1.
--
-- Rules that hold for every table:
--   * Tokens, codes, session ids and client secrets are random values of at
--     least 256 bits that are shown once; only their SHA-256 digest is kept,
--     and every lookup is by digest.
--   * Every row that can expire has an indexed expires_at, so the sweep can
--     delete in index order without scanning.

CREATE TABLE users (
    id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The OpenID `sub`: stable, never reused, and not the username, which can change.
    subject               uuid        NOT NULL DEFAULT gen_random_uuid(),
    username              text        NOT NULL CHECK (length(username) BETWEEN 1 AND 150),
    -- PHC string: $scrypt$ln=…,r=…,p=…$salt$hash
    password_hash         text        NOT NULL,
    name                  text,
    given_name            text,
    family_name           text,
    middle_name           text,
    nickname              text,
    preferred_username    text,
    profile               text,
    picture               text,
    website               text,
    email                 text,
    email_verified        boolean     NOT NULL DEFAULT false,
    gender                text,
    birthdate             text,
    zoneinfo              text,
    locale                text,
    phone_number          text,
    phone_number_verified boolean     NOT NULL DEFAULT false,
    address               jsonb,
    is_active             boolean     NOT NULL DEFAULT true,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    last_login_at         timestamptz
);
CREATE UNIQUE INDEX users_subject_key ON users (subject);
-- Sign-in is case-insensitive: "Alice" and "alice" are one account.
CREATE UNIQUE INDEX users_username_key ON users (lower(username));
CREATE INDEX users_email_idx ON users (lower(email)) WHERE email IS NOT NULL;

CREATE TABLE clients (
    id                         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client_id                  text        NOT NULL UNIQUE,
    secret_digest              bytea       CHECK (secret_digest IS NULL OR length(secret_digest) = 32),
    name                       text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    client_type                text        NOT NULL CHECK (client_type IN ('confidential', 'public')),
    redirect_uris              text[]      NOT NULL CHECK (cardinality(redirect_uris) >= 1),
    post_logout_redirect_uris  text[]      NOT NULL DEFAULT '{}',
    response_types             text[]      NOT NULL,
    grant_types                text[]      NOT NULL,
    scopes                     text[]      NOT NULL,
    require_consent            boolean     NOT NULL DEFAULT true,
    reuse_consent              boolean     NOT NULL DEFAULT true,
    token_endpoint_auth_method text        NOT NULL
        CHECK (token_endpoint_auth_method IN ('client_secret_basic', 'client_secret_post', 'none')),
    created_at                 timestamptz NOT NULL DEFAULT now(),
    secret_rotated_at          timestamptz,
    -- A confidential client always has a secret; a public one never does.
    CHECK ((client_type = 'confidential') = (secret_digest IS NOT NULL)),
    CHECK ((client_type = 'public') = (token_endpoint_auth_method = 'none'))
);

-- A grant is one user's authorisation of one client for a set of scopes.
-- Codes and tokens belong to a grant; revoking it kills all of them.
-- user_id is NULL for client_credentials grants, which have no user.
CREATE TABLE grants (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client_id   bigint      NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    user_id     bigint      REFERENCES users (id) ON DELETE CASCADE,
    scopes      text[]      NOT NULL,
    auth_time   timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    -- The latest expiry of anything in the grant; the sweep deletes grants past it.
    expires_at  timestamptz NOT NULL,
    revoked_at  timestamptz
);
CREATE INDEX grants_client_idx ON grants (client_id);
CREATE INDEX grants_user_idx ON grants (user_id);
CREATE INDEX grants_expires_idx ON grants (expires_at);
CREATE INDEX grants_revoked_idx ON grants (revoked_at) WHERE revoked_at IS NOT NULL;

CREATE TABLE authorization_codes (
    code_digest           bytea       PRIMARY KEY CHECK (length(code_digest) = 32),
    grant_id              bigint      NOT NULL REFERENCES grants (id) ON DELETE CASCADE,
    redirect_uri          text        NOT NULL,
    scopes                text[]      NOT NULL,
    nonce                 text,
    code_challenge        text,
    code_challenge_method text        CHECK (code_challenge_method IN ('S256', 'plain')),
    created_at            timestamptz NOT NULL DEFAULT now(),
    expires_at            timestamptz NOT NULL,
    -- Set on the first redemption; a second one revokes the grant.
    redeemed_at           timestamptz
);
CREATE INDEX authorization_codes_grant_idx ON authorization_codes (grant_id);
CREATE INDEX authorization_codes_expires_idx ON authorization_codes (expires_at);

CREATE TABLE access_tokens (
    token_digest bytea       PRIMARY KEY CHECK (length(token_digest) = 32),
    grant_id     bigint      NOT NULL REFERENCES grants (id) ON DELETE CASCADE,
    scopes       text[]      NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL
);
CREATE INDEX access_tokens_grant_idx ON access_tokens (grant_id);
CREATE INDEX access_tokens_expires_idx ON access_tokens (expires_at);

CREATE TABLE refresh_tokens (
    token_digest bytea       PRIMARY KEY CHECK (length(token_digest) = 32),
    grant_id     bigint      NOT NULL REFERENCES grants (id) ON DELETE CASCADE,
    scopes       text[]      NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    -- Set when the token is exchanged for a new one; presenting it again is reuse.
    rotated_at   timestamptz
);
CREATE INDEX refresh_tokens_grant_idx ON refresh_tokens (grant_id);
CREATE INDEX refresh_tokens_expires_idx ON refresh_tokens (expires_at);

-- A user's remembered consent to a client (OIDC_SKIP_CONSENT_EXPIRE days).
CREATE TABLE consents (
    user_id    bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id  bigint      NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    scopes     text[]      NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (user_id, client_id)
);
CREATE INDEX consents_client_idx ON consents (client_id);
CREATE INDEX consents_expires_idx ON consents (expires_at);

-- Browser sessions; the cookie holds the random id, the table its digest.
CREATE TABLE sessions (
    id_digest     bytea       PRIMARY KEY CHECK (length(id_digest) = 32),
    user_id       bigint      REFERENCES users (id) ON DELETE CASCADE,
    auth_time     timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL
);
CREATE INDEX sessions_user_idx ON sessions (user_id);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);

-- ID-token signing keys. kid is the RFC 7638 JWK thumbprint. The private key
-- is stored sealed (encrypted) by the server, never as plain PEM.
CREATE TABLE signing_keys (
    kid           text        PRIMARY KEY,
    algorithm     text        NOT NULL CHECK (algorithm IN ('RS256', 'ES256')),
    state         text        NOT NULL CHECK (state IN ('next', 'active', 'retired')),
    private_key   bytea       NOT NULL,
    public_jwk    jsonb       NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    activated_at  timestamptz,
    retired_at    timestamptz
);
-- At most one active key per algorithm.
CREATE UNIQUE INDEX signing_keys_active_key ON signing_keys (algorithm) WHERE state = 'active';
CREATE INDEX signing_keys_state_idx ON signing_keys (state);
