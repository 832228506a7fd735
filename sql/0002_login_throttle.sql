-- Failed sign-ins, per username ("user:<lowercased name>") and per client
-- address ("addr:<ip>"), so every replica throttles the same way.
CREATE TABLE login_throttle (
    key              text        PRIMARY KEY,
    failures         integer     NOT NULL DEFAULT 0,
    window_started_at timestamptz NOT NULL,
    locked_until     timestamptz,
    -- When the row means nothing any more; the sweep deletes it after that.
    expires_at       timestamptz NOT NULL
);
CREATE INDEX login_throttle_expires_idx ON login_throttle (expires_at);
