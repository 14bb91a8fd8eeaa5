"""SSRF guard for feeds added from chat.

A guarded fetch may only reach public unicast addresses over http(s). The check runs

* before each hop, on the URL: scheme, IP-literal hosts (every spelling: ``2130706433``,
  ``0x7f.1``, ``0177.0.0.1``, ``127.1``, ``[::ffff:127.0.0.1]``), and a fresh resolution;
* at connect time: :class:`SSRFGuard` is the session's aiohttp resolver and drops nothing
  silently: when a guarded request resolves to any refused address it raises
  :class:`~bot.errors.BlockedAddressError`, so aiohttp never connects there. A name that
  answered a public address a moment ago and 127.0.0.1 now (DNS rebinding) is caught here.

Refused: loopback, private (RFC 1918, ULA), link-local (169.254.169.254), CGNAT (100.64/10),
multicast, unspecified, reserved/documentation/benchmark ranges, and IPv6 forms embedding an
IPv4 address (IPv4-mapped ``::ffff:0:0/96``, IPv4-compatible ``::/96``, 6to4 ``2002::/16``,
NAT64 ``64:ff9b::/96``) judged by the address they embed; Teredo and local NAT64
(``64:ff9b:1::/48``) are refused outright.

Whether a resolution is guarded is a per-request decision: :func:`guarded_scope` sets a
context variable that the resolver reads (aiohttp resolves inside the requesting task when its
DNS cache is off, which :func:`bot.feed.fetch.make_session` ensures).
"""

from __future__ import annotations

import contextlib
import contextvars
import ipaddress
import socket
from collections.abc import Iterable, Iterator

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver
from yarl import URL

from bot.errors import BlockedAddressError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_GUARDED: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "newsbot_ssrf_guarded", default=False
)

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_IPV4_COMPAT = ipaddress.ip_network("::/96")
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")


def blocked_reason(ip: IPAddress) -> str | None:
    """Why ``ip`` must not be reached by a guarded fetch, or None when it is public unicast."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return _embedded(ip.ipv4_mapped, "IPv4-mapped")
        if ip.sixtofour is not None:
            return _embedded(ip.sixtofour, "6to4")
        if ip in _NAT64:
            return _embedded(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF), "NAT64")
        if ip in _NAT64_LOCAL:
            return "local-use NAT64 address"
        if ip.teredo is not None:
            return "Teredo tunnel address"
        if ip in _IPV4_COMPAT:
            # ::/96 holds :: and ::1 too; any other member embeds an IPv4 address.
            if ip.is_unspecified or ip.is_loopback:
                return "unspecified address" if ip.is_unspecified else "loopback address"
            return _embedded(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF), "IPv4-compatible")
        if ip.is_site_local:
            return "site-local address"
    for attr, reason in (
        ("is_unspecified", "unspecified address"),
        ("is_loopback", "loopback address"),
        ("is_link_local", "link-local address"),
        ("is_multicast", "multicast address"),
        ("is_private", "private address"),
        ("is_reserved", "reserved address"),
    ):
        if getattr(ip, attr):
            return reason
    if isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT:
        return "shared (CGNAT) address"
    if not ip.is_global:
        return "non-global address"
    return None


def _embedded(ip: ipaddress.IPv4Address, form: str) -> str | None:
    reason = blocked_reason(ip)
    return f"{form} form of a {reason}" if reason else None


def parse_ip_host(host: str) -> IPAddress | None:
    """The address an IP-literal host means, in any spelling a resolver accepts; else None.

    Accepts bracketed or bare IPv6 (zone ids stripped) and the legacy ``inet_aton`` IPv4
    forms: 1 to 4 dot-separated parts, each decimal, octal (leading 0) or hex (0x).
    """
    host = host.strip().rstrip(".").strip("[]")
    if not host:
        return None
    if ":" in host:
        try:
            return ipaddress.IPv6Address(host.split("%", 1)[0])
        except ValueError:
            return None
    return _legacy_ipv4(host)


def _legacy_ipv4(host: str) -> ipaddress.IPv4Address | None:
    parts = host.split(".")
    if not 1 <= len(parts) <= 4:
        return None
    values: list[int] = []
    for part in parts:
        try:
            if part.lower().startswith("0x"):
                value = int(part[2:] or "0", 16)
            elif len(part) > 1 and part.startswith("0"):
                value = int(part, 8)
            else:
                value = int(part, 10) if part.isdigit() else -1
        except ValueError:
            return None
        if value < 0:
            return None
        values.append(value)
    *head, last = values
    if any(v > 255 for v in head) or last >= 256 ** (5 - len(values)):
        return None
    number = 0
    for v in head:
        number = number << 8 | v
    number = number << (8 * (5 - len(values))) | last
    return ipaddress.IPv4Address(number)


@contextlib.contextmanager
def guarded_scope(active: bool = True) -> Iterator[None]:
    """Resolutions made by the current task inside this block are SSRF-checked."""
    token = _GUARDED.set(active)
    try:
        yield
    finally:
        _GUARDED.reset(token)


class SSRFGuard(AbstractResolver):
    """An aiohttp resolver that refuses non-public answers for guarded requests.

    ``resolver`` is the real resolver (aiohttp's default when None; tests inject fakes).
    ``allow`` lists networks the operator trusts anyway (checked before the ban list).
    Unguarded requests (trusted rules-file feeds) get the inner resolver's answers untouched.
    """

    def __init__(
        self,
        resolver: AbstractResolver | None = None,
        *,
        allow: Iterable[IPNetwork | str] = (),
    ) -> None:
        self._inner = resolver
        self._allow: tuple[IPNetwork, ...] = tuple(ipaddress.ip_network(n) for n in allow)

    def _resolver(self) -> AbstractResolver:
        if self._inner is None:
            self._inner = DefaultResolver()
        return self._inner

    def reason(self, ip: IPAddress) -> str | None:
        """Why the guard refuses ``ip`` (None: allowed)."""
        if any(ip.version == net.version and ip in net for net in self._allow):
            return None
        return blocked_reason(ip)

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        if _GUARDED.get():
            return await self.check_host(host, port, family)
        return await self._resolver().resolve(host, port, family)

    async def check_host(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_UNSPEC
    ) -> list[ResolveResult]:
        """Resolve ``host`` and raise BlockedAddressError unless every answer is allowed."""
        literal = parse_ip_host(host)
        if literal is not None:
            self._refuse_if_blocked(host, literal)
            return [_result(host, str(literal), port)]
        name = host.rstrip(".").lower()
        if name in _LOCAL_NAMES or name.endswith(".localhost"):
            raise BlockedAddressError(f"{host}: refers to this machine")
        try:
            results = await self._resolver().resolve(host, port, family)
        except OSError as exc:
            raise BlockedAddressError(f"{host}: cannot be resolved ({exc})") from exc
        if not results:
            raise BlockedAddressError(f"{host}: no addresses")
        for result in results:
            address = parse_ip_host(result["host"])
            if address is None:
                raise BlockedAddressError(f"{host}: resolver answered {result['host']!r}")
            self._refuse_if_blocked(host, address)
        return results

    async def check_url(self, url: URL) -> None:
        """Refuse anything but http(s) to allowed addresses (resolving the host)."""
        if url.scheme not in ("http", "https"):
            raise BlockedAddressError(f"{url.scheme or 'no'} scheme is not allowed here")
        if not url.raw_host:
            raise BlockedAddressError("URL has no host")
        await self.check_host(url.raw_host, url.port or 0)

    def _refuse_if_blocked(self, host: str, ip: IPAddress) -> None:
        why = self.reason(ip)
        if why:
            raise BlockedAddressError(f"{host}: {ip} is a {why}")

    async def close(self) -> None:
        if self._inner is not None:
            await self._inner.close()


def _result(host: str, address: str, port: int) -> ResolveResult:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    return {
        "hostname": host,
        "host": address,
        "port": port,
        "family": family,
        "proto": 0,
        "flags": socket.AI_NUMERICHOST,
    }
