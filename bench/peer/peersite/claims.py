"""OIDC_USERINFO: the standard claims of a Django user (django-oidc-provider
leaves them empty unless the site fills them in)."""


def userinfo(claims, user):
    claims["name"] = user.get_full_name()
    claims["given_name"] = user.first_name
    claims["family_name"] = user.last_name
    claims["preferred_username"] = user.get_username()
    claims["email"] = user.email
    claims["email_verified"] = True
    return claims
