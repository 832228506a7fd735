#!/usr/bin/env python3
"""Seeds Gatehouse with pools of access tokens, refresh tokens and
authorization codes for the endpoint benchmarks, and writes their raw values.

    seed_pools.py OUT_DIR CLIENT_PK USER_PK REDIRECT_URI ACCESS REFRESH CODES | psql -v ON_ERROR_STOP=1 DATABASE_URL

CLIENT_PK and USER_PK are the `id` columns of the client and the user. Every
value gets its own grant (alive for 30 days, not revoked), as a sign-in would
make it; the tables hold only SHA-256 digests, as Gatehouse stores them, and
OUT_DIR/access_tokens.txt, refresh_tokens.txt and codes.txt the raw values,
one a line. Codes carry the redirect URI, the scopes `openid email profile`
and a nonce, and expire in a day, so none expires during a run. Refresh tokens
and codes work once: the load scripts hand each value out once.

The SQL (written to stdout) loads the digests with COPY into a temporary
table, takes one grant id per row from the grants' identity sequence, and
inserts grants and pool rows in one transaction.
"""
import base64
import hashlib
import os
import secrets
import sys


def raw_value() -> str:
    # What SecretToken.generate makes: 32 random bytes, unpadded base64url.
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()


def sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def main() -> None:
    if len(sys.argv) != 8:
        sys.exit(__doc__)
    out_dir, client_pk, user_pk, redirect_uri = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    counts = {"a": int(sys.argv[5]), "r": int(sys.argv[6]), "c": int(sys.argv[7])}
    files = {"a": "access_tokens.txt", "r": "refresh_tokens.txt", "c": "codes.txt"}
    os.makedirs(out_dir, exist_ok=True)

    out = sys.stdout
    out.write("BEGIN;\n")
    out.write("CREATE TEMP TABLE seed (kind char(1) NOT NULL, digest bytea NOT NULL, gid bigint) ON COMMIT DROP;\n")
    out.write("COPY seed (kind, digest) FROM STDIN;\n")
    for kind, count in counts.items():
        with open(os.path.join(out_dir, files[kind]), "w") as pool:
            for _ in range(count):
                value = raw_value()
                pool.write(value + "\n")
                out.write(f"{kind}\t\\\\x{hashlib.sha256(value.encode()).hexdigest()}\n")
    out.write("\\.\n")
    out.write(f"""
UPDATE seed SET gid = nextval(pg_get_serial_sequence('grants', 'id'));
INSERT INTO grants (id, client_id, user_id, scopes, auth_time, created_at, expires_at) OVERRIDING SYSTEM VALUE
    SELECT gid, {client_pk}, {user_pk}, '{{openid,email,profile,offline_access}}', now(), now(), now() + interval '30 days'
    FROM seed;
INSERT INTO access_tokens (token_digest, grant_id, scopes, created_at, expires_at)
    SELECT digest, gid, '{{openid,email,profile}}', now(), now() + interval '1 day' FROM seed WHERE kind = 'a';
INSERT INTO refresh_tokens (token_digest, grant_id, scopes, created_at, expires_at)
    SELECT digest, gid, '{{openid,email,profile,offline_access}}', now(), now() + interval '30 days' FROM seed WHERE kind = 'r';
INSERT INTO authorization_codes (code_digest, grant_id, redirect_uri, scopes, nonce, created_at, expires_at)
    SELECT digest, gid, {sql_literal(redirect_uri)}, '{{openid,email,profile}}', 'nonce-' || gid, now(), now() + interval '1 day'
    FROM seed WHERE kind = 'c';
COMMIT;
VACUUM ANALYZE grants;
VACUUM ANALYZE access_tokens;
VACUUM ANALYZE refresh_tokens;
VACUUM ANALYZE authorization_codes;
""")


if __name__ == "__main__":
    main()
