"""Canonical links: one spelling per article URL, so the same story dedupes across feeds.

``canonical_link(url)`` keeps only absolute http(s) URLs and

* lower-cases scheme and host (IDNA hosts stay in their ASCII ``xn--`` form), drops a
  trailing dot, userinfo, the default port (80/443) and the fragment;
* removes tracking parameters (``utm_*``, ``fbclid``, ``gclid``, ``mc_cid``, ... see
  ``TRACKING``), keeping the others in their original order and spelling;
* gives an empty path as ``/``.

Anything else (relative, ``javascript:``, ``mailto:``, unparsable, no host) is None.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit, urlunsplit

TRACKING = frozenset(
    {
        "fbclid", "gclid", "dclid", "gclsrc", "gbraid", "wbraid", "msclkid", "yclid",
        "twclid", "ttclid", "li_fat_id", "igshid", "mc_cid", "mc_eid", "_hsenc", "_hsmi",
        "mkt_tok", "oly_anon_id", "oly_enc_id", "vero_id", "vero_conv", "rb_clickid",
        "s_cid", "ncid", "cmpid", "_ga", "_gl", "spm", "ref_src", "ref_url",
    }
)  # fmt: skip
_TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_", "__hs")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_UNSAFE = re.compile(r"[\x00-\x20\x7f]")


def is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING or lowered.startswith(_TRACKING_PREFIXES)


def canonical_link(url: str | None) -> str | None:
    """The canonical http(s) form of ``url``, or None when it is not an absolute web link."""
    if not url:
        return None
    url = _UNSAFE.sub(lambda m: "" if m.group() in "\t\n\r" else quote(m.group()), url.strip())
    try:
        parts = urlsplit(url)
        port = parts.port
        host = parts.hostname
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    host = host.rstrip(".")
    if not host:
        return None
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    query = "&".join(
        pair for pair in parts.query.split("&") if pair and not is_tracking(pair.split("=", 1)[0])
    )
    return urlunsplit((scheme, netloc, parts.path or "/", query, ""))
