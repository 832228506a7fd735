-- A confidential client may authenticate at /token with client_secret_basic
-- or client_secret_post, as django-oidc-provider accepts both, unless it was
-- registered with one method (`client create --token-endpoint-auth-method`),
-- which is then enforced. NULL means "either"; public clients keep 'none'.
--
-- Every confidential client so far was stored as 'client_secret_basic'
-- without anyone choosing it (there was no option), so they become NULL.
ALTER TABLE clients ALTER COLUMN token_endpoint_auth_method DROP NOT NULL;
UPDATE clients SET token_endpoint_auth_method = NULL
WHERE client_type = 'confidential' AND token_endpoint_auth_method = 'client_secret_basic';
ALTER TABLE clients ADD CONSTRAINT clients_auth_method_matches_type CHECK (
    (client_type = 'public' AND token_endpoint_auth_method = 'none')
    OR (client_type = 'confidential'
        AND (token_endpoint_auth_method IS NULL
             OR token_endpoint_auth_method IN ('client_secret_basic', 'client_secret_post')))
);
