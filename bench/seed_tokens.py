#!/usr/bin/env python3
"""Writes COPY text for the sweep benchmark: grants, then one access token per grant.

    seed_tokens.py grants EXPIRED LIVE CLIENT_ID USER_ID | psql -c "COPY grants (...) FROM STDIN"
    seed_tokens.py tokens EXPIRED LIVE | psql -c "COPY access_tokens (...) FROM STDIN"

Grants get ids 1..EXPIRED (expired an hour ago) and EXPIRED+1..EXPIRED+LIVE
(live for a day), in that order, because the database is fresh. The raw
token of grant N is "tok-N"; the table stores its SHA-256, as Gatehouse does.
"""
import hashlib
import sys

kind, expired, live = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
out = sys.stdout
if kind == "grants":
    client_id, user_id = sys.argv[4], sys.argv[5]
    for i in range(1, expired + live + 1):
        when = "2000-01-01 00:00:00+00" if i <= expired else "2999-01-01 00:00:00+00"
        out.write(f"{client_id}\t{user_id}\t{{openid,email}}\t{when}\n")
else:
    for i in range(1, expired + live + 1):
        digest = hashlib.sha256(f"tok-{i}".encode()).hexdigest()
        when = "2000-01-01 00:00:00+00" if i <= expired else "2999-01-01 00:00:00+00"
        out.write(f"\\\\x{digest}\t{i}\t{{openid,email}}\t{when}\n")
