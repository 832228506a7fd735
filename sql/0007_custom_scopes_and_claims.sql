-- Claims of the operator's own (groups, roles, an employee number) and the
-- scopes that release them.

-- Each user's custom claims, one JSON member per claim (`user create --claim`,
-- `user set-claim`). Standard claims keep their own columns.
ALTER TABLE users ADD COLUMN claims jsonb NOT NULL DEFAULT '{}'
    CHECK (jsonb_typeof(claims) = 'object');

-- Scopes defined by the operator (`gatehouse scope create`). The standard
-- scopes are built in and cannot be defined here.
CREATE TABLE scopes (
    name        text        PRIMARY KEY
        CHECK (length(name) BETWEEN 1 AND 100 AND name ~ '^[!#-\[\]-~]+$'
               AND name NOT IN ('openid', 'profile', 'email', 'phone', 'address', 'offline_access')),
    description text        NOT NULL CHECK (length(description) BETWEEN 1 AND 300),
    claims      text[]      NOT NULL CHECK (cardinality(claims) >= 1),
    created_at  timestamptz NOT NULL DEFAULT now()
);
