-- Per-client ID-token algorithms and keys that rotate themselves.

-- id_token_signed_response_alg (OIDC Dynamic Client Registration §2).
-- HS256 signs with the client's secret, so an HS256 client keeps its secret
-- sealed (AES-GCM under the server's secret) beside the digest; every other
-- client keeps only the digest.
ALTER TABLE clients
    ADD COLUMN id_token_signed_response_alg text NOT NULL DEFAULT 'RS256'
        CHECK (id_token_signed_response_alg IN ('RS256', 'ES256', 'EdDSA', 'HS256')),
    ADD COLUMN secret_sealed bytea,
    ADD CONSTRAINT clients_sealed_secret_only_for_hs256
        CHECK ((id_token_signed_response_alg = 'HS256') = (secret_sealed IS NOT NULL));

-- Ed25519 keys beside RSA and P-256.
ALTER TABLE signing_keys DROP CONSTRAINT signing_keys_algorithm_check;
ALTER TABLE signing_keys ADD CONSTRAINT signing_keys_algorithm_check
    CHECK (algorithm IN ('RS256', 'ES256', 'EdDSA'));
-- Set on a next key by `gatehouse keys rotate`: make it active as soon as it
-- has been published long enough, whatever the active key's age.
ALTER TABLE signing_keys ADD COLUMN promote_after timestamptz;
