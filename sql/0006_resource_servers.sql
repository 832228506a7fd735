-- For resource servers: who may introspect, and JWT access tokens.

-- Resource servers (`gatehouse client create --resource-server`) may
-- introspect every client's tokens (RFC 7662 §2.1). They need no redirect
-- URI: they never send a browser anywhere.
ALTER TABLE clients ADD COLUMN is_resource_server boolean NOT NULL DEFAULT false;
ALTER TABLE clients DROP CONSTRAINT clients_redirect_uris_check;
ALTER TABLE clients ADD CONSTRAINT clients_redirect_uris_check
    CHECK (cardinality(redirect_uris) >= 1 OR is_resource_server);

-- RFC 9068 JWT access tokens, per client (`client create --access-token-format jwt`).
-- They are recorded by digest like opaque ones, so /userinfo, introspection
-- and revocation treat both alike.
ALTER TABLE clients ADD COLUMN access_token_format text NOT NULL DEFAULT 'opaque'
    CHECK (access_token_format IN ('opaque', 'jwt'));
