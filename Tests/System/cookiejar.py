"""A browser's cookie jar for the system checks, kept by cookie name.

Every Set-Cookie of an answer counts, not only the first: signing in sets the
session cookie and clears the sign-in cookie in one answer. A Set-Cookie with
Max-Age=0 (or an empty value) removes its cookie.
"""
import re


def update(jar, set_cookie_lines):
    """Applies the answer's Set-Cookie header values to `jar` (name -> value)."""
    for line in set_cookie_lines:
        pair, *attributes = line.split(";")
        name, _, value = pair.strip().partition("=")
        if not value or any(re.fullmatch(r"\s*max-age\s*=\s*(0|-\d+)\s*", a, re.I) for a in attributes):
            jar.pop(name, None)
        else:
            jar[name] = value


def header(jar):
    """The Cookie header the jar sends."""
    return "; ".join(f"{name}={value}" for name, value in jar.items())
