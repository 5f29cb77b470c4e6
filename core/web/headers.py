"""Security headers on every response (pages, API, errors).

Written here rather than with flask-talisman: we need a few fixed headers and one per-request nonce,
talisman's last release is 1.1.0 of August 2023, and its HTTPS redirect and cookie handling duplicate
what nginx and core/config.py already do.

Content-Security-Policy: scripts only from this site (Chart.js is vendored under /static) and no inline
script or inline event handler anywhere; styles only from this site, plus <style> elements that carry
the request's nonce (the survey page's generated show-if rules). No 'unsafe-inline' for either, so inline
style="" attributes are refused too: templates use CSS classes (tests/security/test_headers.py keeps it
so). frame-ancestors 'none' and X-Frame-Options DENY forbid framing (clickjacking on staff actions).
Referrer-Policy same-origin: nothing, not even the origin, goes to other sites, so survey links carrying
an invitation token (/s/t/<token>) never leak through a Referer; same-site navigation keeps the full
referrer, which the language switch uses to return to the page the visitor was on.
HSTS only when cookies are marked Secure (production behind TLS): over plain HTTP it would be ignored.
"""

from __future__ import annotations

import secrets

from flask import Response, current_app, g

HSTS = "max-age=31536000"  # one year; no includeSubDomains: other hosts of the domain are not ours
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'{nonce}; img-src 'self'; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def csp_nonce() -> str:
    """The request's style nonce (Jinja global): `<style nonce="{{ csp_nonce() }}">`."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def set_security_headers(response: Response) -> Response:
    """after_request: add the headers (a view that set one itself keeps its own)."""
    nonce = g.get("csp_nonce")
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP.format(nonce=f" 'nonce-{nonce}'" if nonce else ""))
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if current_app.config["SESSION_COOKIE_SECURE"]:
        headers.setdefault("Strict-Transport-Security", HSTS)
    return response
