"""The peer's fixtures and load pools (run by prepare.sh, with Django's
settings in the environment).

    seed.py OUT_DIR POOL_SIZE

Creates, when missing, the RSA key, the user and the two clients; then adds
POOL_SIZE access tokens, refresh tokens and codes with bulk_create, and writes
client.env and the three pool files (one raw value a line) into OUT_DIR.
Tokens and codes are made as django-oidc-provider makes them (uuid4 hex
values, the ID token claims stored with the token) and stay valid for a day.
"""
import os
import secrets
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402
from oidc_provider.models import Client, Code, ResponseType, RSAKey, Token  # noqa: E402

USERNAME, PASSWORD = "bench", "bench-password"
REDIRECT_URI = "https://rp.example/cb"
CLIENT_ID, CC_CLIENT_ID = "bench-rp", "bench-service"
TOKEN_SCOPE = ["openid", "profile", "email"]
REFRESH_SCOPE = ["openid", "profile", "email", "offline_access"]
LIFETIME = timedelta(hours=24)
BATCH = 5000


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def client(client_id: str, name: str, scope: list, redirect_uris: list, response_types: list) -> Client:
    obj = Client.objects.filter(client_id=client_id).first()
    if obj is None:
        obj = Client(client_id=client_id, client_secret=secrets.token_hex(24))
    obj.name = name
    obj.client_type = "confidential"
    obj.jwt_alg = "RS256"
    obj.require_consent = True
    obj.reuse_consent = True
    obj.redirect_uris = redirect_uris
    obj.scope = scope
    obj.save()
    obj.response_types.set(ResponseType.objects.filter(value__in=response_types))
    return obj


def issuer() -> str:
    # serve.sh sets the real site URL; these stored claims are only read for `sub`.
    if not hasattr(issuer, "value"):
        site = settings.SITE_URL or "http://127.0.0.1"
        issuer.value = site + reverse("oidc_provider:provider-info").split("/.well-known/")[0]
    return issuer.value


def id_token_claims(user, client_id: str, access_token: str, now: int) -> dict:
    # What TokenEndpoint stores with a token issued for an authentication
    # request (the userinfo endpoint reads `sub` from it; a refresh issues a
    # new ID token only when it is present).
    token = Token(access_token=access_token)
    return {
        "iss": issuer(),
        "sub": str(user.id), "aud": client_id, "exp": now + 600, "iat": now,
        "auth_time": now, "at_hash": token.at_hash,
    }


def new_token(user, rp: Client, scope: list, expires_at, now: int) -> Token:
    t = Token(user=user, client=rp, access_token=uuid.uuid4().hex, refresh_token=uuid.uuid4().hex,
              expires_at=expires_at)
    t.scope = scope
    t.id_token = id_token_claims(user, rp.client_id, t.access_token, now)
    return t


def new_code(user, rp: Client, expires_at) -> Code:
    c = Code(user=user, client=rp, code=uuid.uuid4().hex, expires_at=expires_at,
             nonce=secrets.token_urlsafe(12), is_authentication=True)
    c.scope = TOKEN_SCOPE
    return c


def pool(path: Path, model, make, value, count: int) -> None:
    """Inserts count rows made by make() in batches; writes value(row) a line."""
    with path.open("w") as f:
        done = 0
        while done < count:
            batch = [make() for _ in range(min(BATCH, count - done))]
            model.objects.bulk_create(batch)
            f.write("".join(value(obj) + "\n" for obj in batch))
            done += len(batch)


def main() -> int:
    out, pool_size = Path(sys.argv[1]), int(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()

    if not RSAKey.objects.exists():
        call_command("creatersakey", stdout=open(os.devnull, "w"))
        if not RSAKey.objects.exists():
            raise SystemExit("error: creatersakey made no key")

    User = get_user_model()
    user = User.objects.filter(username=USERNAME).first() or User(username=USERNAME)
    user.email = "bench@example.com"
    user.first_name, user.last_name = "Bench", "User"
    user.set_password(PASSWORD)
    user.save()

    rp = client(CLIENT_ID, "Bench RP", REFRESH_SCOPE, [REDIRECT_URI], ["code"])
    # client_credentials needs a non-empty client scope; the token gets it all
    # when the request names none.
    service = client(CC_CLIENT_ID, "Bench service", ["api"], [], [])

    expires_at = timezone.now() + LIFETIME
    now = int(time.time())
    with transaction.atomic():
        pool(out / "access_tokens.txt", Token, lambda: new_token(user, rp, TOKEN_SCOPE, expires_at, now),
             lambda t: t.access_token, pool_size)
        pool(out / "refresh_tokens.txt", Token, lambda: new_token(user, rp, REFRESH_SCOPE, expires_at, now),
             lambda t: t.refresh_token, pool_size)
        pool(out / "codes.txt", Code, lambda: new_code(user, rp, expires_at), lambda c: c.code, pool_size)

    def path(name: str) -> str:
        return reverse(f"oidc_provider:{name}")

    env = {
        "CLIENT_ID": rp.client_id, "CLIENT_SECRET": rp.client_secret,
        "CC_CLIENT_ID": service.client_id, "CC_CLIENT_SECRET": service.client_secret,
        "REDIRECT_URI": REDIRECT_URI, "USERNAME": USERNAME, "PASSWORD": PASSWORD,
        # The URLconf accepts these with or without a trailing slash; no redirect either way.
        "AUTHORIZE_PATH": path("authorize").rstrip("/"),
        "TOKEN_PATH": path("token").rstrip("/"),
        "USERINFO_PATH": path("userinfo").rstrip("/"),
        "DISCOVERY_PATH": path("provider-info").rstrip("/"),
        "JWKS_PATH": path("jwks").rstrip("/"),
        "LOGIN_PATH": settings.LOGIN_URL,
    }
    (out / "client.env").write_text("".join(f"{k}={v}\n" for k, v in env.items()))
    log(f"peer prepared: {pool_size} access tokens, {pool_size} refresh tokens, {pool_size} codes "
        f"in {time.monotonic() - started:.1f} s -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
