"""Secrets out of text: URLs are shown without credentials or query string.

A webhook URL may carry its key in the query (`...?apikey=...`) or in userinfo
(`https://user:pass@host/`). The start-up line shows `safe_url(url)`; every error text and
dead-letter reason that may hold a URL passes through `redact_urls`, so the key never reaches a
log line, a delivery record or a `.reason` file.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_FULL_URL = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'\"<>]+")
# urllib3 and requests also print a bare path with its query ("... with url: /hook?apikey=...").
_QUERY = re.compile(r"(?<=[\w/])\?[\w%.~+-]+=[^\s'\"<>]*")
_ELIDED = "?…"


def safe_url(url: str) -> str:
    """The URL without credentials or query string, fit for a log line."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "<unparseable URL>"
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}{f':{port}' if port else ''}{parts.path}" + (_ELIDED if parts.query else "")


def redact_urls(text: str, *secrets: str) -> str:
    """`text` with every URL made safe, every query string elided, and each of `secrets` masked."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    text = _FULL_URL.sub(lambda m: safe_url(m.group()), text)
    return _QUERY.sub(_ELIDED, text)
