#!/usr/bin/env python3
"""Verifies a Gatehouse ID token with an independent JOSE implementation (joserfc).

    verify_id_token.py --jwks JWKS.json --token TOKEN_FILE --issuer ISS --audience AUD [--nonce N] [--access-token AT]

Exits 0 and prints the claims when the signature and the claims check out;
exits 1 with the reason otherwise.
"""
import argparse
import base64
import hashlib
import json
import sys
import time

from joserfc import jwt
from joserfc.jwk import KeySet


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jwks", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--issuer", required=True)
    parser.add_argument("--audience", required=True)
    parser.add_argument("--nonce")
    parser.add_argument("--access-token")
    args = parser.parse_args()

    with open(args.jwks) as f:
        keys = KeySet.import_key_set(json.load(f))
    with open(args.token) as f:
        token = f.read().strip()

    decoded = jwt.decode(token, keys, algorithms=["RS256"])
    if decoded.header.get("alg") != "RS256" or not decoded.header.get("kid"):
        print(f"bad header: {decoded.header}", file=sys.stderr)
        return 1
    rules = {
        "iss": {"essential": True, "value": args.issuer},
        "aud": {"essential": True, "value": args.audience},
        "sub": {"essential": True},
        "exp": {"essential": True},
        "iat": {"essential": True},
    }
    if args.nonce:
        rules["nonce"] = {"essential": True, "value": args.nonce}
    jwt.JWTClaimsRegistry(now=int(time.time()), leeway=60, **rules).validate(decoded.claims)
    if args.access_token:
        digest = hashlib.sha256(args.access_token.encode("ascii")).digest()[:16]
        expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        if decoded.claims.get("at_hash") != expected:
            print("at_hash does not match the access token", file=sys.stderr)
            return 1
    print(json.dumps(decoded.claims, sort_keys=True))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as error:  # any verification failure is a test failure
        print(f"verification failed: {type(error).__name__}: {error}", file=sys.stderr)
        sys.exit(1)
