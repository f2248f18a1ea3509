"""Fetching a partner's picture without letting the URL reach inside our network (SSRF).

A picture URL comes from a partner's document, so it is untrusted input that makes *us* send a
request. ``fetch_image`` therefore:

- accepts http and https only, and no credentials in the URL;
- resolves the host once and refuses it if ANY address is not public (private, loopback,
  link-local such as the 169.254.169.254 metadata service, CGNAT, multicast, reserved,
  unspecified, IPv4 inside IPv6: mapped, 6to4, NAT64), unless ``host:port`` is in the explicit
  allowlist (the local stack's and the tests' loopback image servers);
- connects to the address it checked (the connection is *pinned*: no second lookup that a DNS
  rebinding attack could answer differently), sending the URL's name as Host header and TLS SNI;
- follows no redirect by itself: it follows at most ``max_redirects``, each hop parsed and
  checked like the first URL;
- caps the bytes (a declared Content-Length first, then while streaming) and the time (connect
  timeout, and one deadline for the whole fetch, redirects included, enforced by a watchdog that
  cuts the socket, so a server dripping bytes cannot hold us);
- sniffs the bytes: the body must start like a JPEG, PNG, GIF or WebP, whatever Content-Type
  says (SVG and HTML are never images here).

Only the standard library (http.client): the request is simple, and pinning needs control of the
socket. Refusals are ``MediaRefused`` with a short reason word.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

from newsdesk.media import MediaRefused
from newsdesk.media.deadline import Deadline, resolve_within

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
DEFAULT_PORTS = {"http": 80, "https": 443}
READ_CHUNK = 64 * 1024
SNIFF_BYTES = 12
USER_AGENT = "Newsdesk-media/1 (picture copy for republication)"
ACCEPT = "image/jpeg, image/png, image/webp, image/gif"

# 64:ff9b::/96 carries IPv4 addresses for NAT64 gateways: the IPv4 inside is what gets reached.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
# IPv6 unicast on the internet is 2000::/3; everything else (ULA, link-local, multicast, ...) is not.
_GLOBAL_UNICAST = ipaddress.IPv6Network("2000::/3")
# IANA's special-purpose ranges that are not globally reachable, listed here as well as asked of
# ipaddress, whose answers changed between Python patch releases (192.0.0.0/24 in 3.11.10).
_NOT_GLOBAL_RANGES = """
0.0.0.0/8 10.0.0.0/8 100.64.0.0/10 127.0.0.0/8 169.254.0.0/16 172.16.0.0/12 192.0.0.0/24 192.0.2.0/24
192.88.99.0/24 192.168.0.0/16 198.18.0.0/15 198.51.100.0/24 203.0.113.0/24 224.0.0.0/4 240.0.0.0/4
2001::/23 2001:db8::/32 3fff::/20
"""
_NOT_GLOBAL = tuple(ipaddress.ip_network(network) for network in _NOT_GLOBAL_RANGES.split())

Resolve = Callable[..., Sequence[tuple[Any, ...]]]
# (scheme, host, port, checked address, connect timeout) -> a connection not yet connected.
Opener = Callable[[str, str, int, str, float], http.client.HTTPConnection]


@dataclass(frozen=True)
class FetchLimits:
    max_bytes: int = 20 * 1024 * 1024
    total_seconds: float = 10.0  # the whole fetch, redirects included
    connect_seconds: float = 3.0
    max_redirects: int = 3


@dataclass(frozen=True)
class FetchedImage:
    data: bytes
    mimetype: str  # sniffed from the bytes, not the server's Content-Type
    url: str  # the URL finally fetched (after redirects)


def fetch_image(
    url: str,
    *,
    allowlist: frozenset[str],
    limits: FetchLimits,
    resolve: Resolve = socket.getaddrinfo,
    opener: Opener | None = None,
) -> FetchedImage:
    """The picture at ``url``, or ``MediaRefused``. ``resolve`` and ``opener`` are for tests."""
    allowed = frozenset(entry.strip().lower() for entry in allowlist)
    deadline = Deadline(limits.total_seconds)
    current = url
    for _ in range(limits.max_redirects + 1):
        target = parse_url(current)
        addresses = checked_addresses(target, allowed, resolve_within(resolve, deadline))
        outcome = _exchange(target, addresses, opener or pinned_connection, limits, deadline)
        if isinstance(outcome, FetchedImage):
            return FetchedImage(outcome.data, outcome.mimetype, current)
        current = urljoin(current, outcome)
    raise MediaRefused("redirects", f"more than {limits.max_redirects} redirects")


def sniff_image_type(head: bytes) -> str | None:
    """The image type the first bytes announce (JPEG, PNG, GIF, WebP), or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


# --------------------------------------------------------------------------------------------------
# URL and addresses
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # lower-case ASCII (IDNA), IPv6 without brackets
    port: int
    request_path: str  # path and query, ASCII

    @property
    def netloc(self) -> str:
        return f"[{self.host}]" if ":" in self.host else self.host

    @property
    def host_header(self) -> str:
        default = DEFAULT_PORTS[self.scheme] == self.port
        return self.netloc if default else f"{self.netloc}:{self.port}"

    def allowlisted(self, allowlist: frozenset[str]) -> bool:
        return f"{self.host}:{self.port}" in allowlist or f"{self.netloc}:{self.port}" in allowlist


def parse_url(url: str) -> Target:
    # urlsplit silently drops tabs and newlines; a URL with any control character or space is refused.
    if any(ord(char) <= 0x20 or ord(char) == 0x7F for char in url):
        raise MediaRefused("url", "control characters or spaces in the URL")
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in DEFAULT_PORTS:
            raise MediaRefused("scheme", f"only http and https are fetched, not {scheme or 'a relative URL'!r}")
        if "@" in parts.netloc:
            raise MediaRefused("credentials", "credentials in the URL")
        hostname, port = parts.hostname, parts.port
        if not hostname:
            raise MediaRefused("url", "no host in the URL")
        host = hostname.encode("idna").decode("ascii").lower()
    except (ValueError, UnicodeError) as error:
        raise MediaRefused("url", f"malformed URL: {error}") from None
    if port == 0:
        raise MediaRefused("url", "port 0")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    # Partners write Cyrillic file names as is; the request line must be ASCII.
    path = "".join(char if ord(char) < 0x80 else quote(char) for char in path)
    return Target(scheme, host, DEFAULT_PORTS[scheme] if port is None else port, path)


def checked_addresses(target: Target, allowlist: frozenset[str], resolve: Resolve) -> list[str]:
    """Every address the host resolves to, all of them public unless the host:port is allowlisted."""
    try:
        answers = resolve(target.host, target.port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise MediaRefused("dns", f"{target.host} does not resolve: {error}") from None
    addresses = list(dict.fromkeys(str(answer[4][0]) for answer in answers))
    if not addresses:
        raise MediaRefused("dns", f"{target.host} has no address")
    if target.allowlisted(allowlist):
        return addresses
    for address in addresses:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            raise MediaRefused("dns", f"{target.host} resolved to {address!r}") from None
        if not is_public(ip):
            raise MediaRefused("address", f"{target.host} resolves to {address}, which is not a public address")
    return addresses


def is_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """True for an address on the public internet; every special range is refused, explicitly."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            return False
        if ip.ipv4_mapped is not None:
            return is_public(ip.ipv4_mapped)
        if ip.sixtofour is not None:
            return is_public(ip.sixtofour)
        if ip in _NAT64:
            return is_public(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        if ip not in _GLOBAL_UNICAST or ip.teredo is not None:
            return False
    special = (
        any(ip in network for network in _NOT_GLOBAL)
        or ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )
    return ip.is_global and not special


# --------------------------------------------------------------------------------------------------
# Connections pinned to the checked address
# --------------------------------------------------------------------------------------------------


class PinnedHTTPConnection(http.client.HTTPConnection):
    """HTTP to ``host`` over a socket to ``address``: the name is never looked up again."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to ``host`` over a socket to ``address``; SNI and certificate checks use ``host``."""

    def __init__(
        self, host: str, port: int, *, address: str, timeout: float, context: ssl.SSLContext | None = None
    ) -> None:
        self.tls = context if context is not None else _tls_context()
        super().__init__(host, port, timeout=timeout, context=self.tls)
        self.address = address

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        try:
            self.sock = self.tls.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise


def pinned_connection(scheme: str, host: str, port: int, address: str, timeout: float) -> http.client.HTTPConnection:
    if scheme == "https":
        return PinnedHTTPSConnection(host, port, address=address, timeout=timeout)
    return PinnedHTTPConnection(host, port, address=address, timeout=timeout)


@cache
def _tls_context() -> ssl.SSLContext:
    return ssl.create_default_context()  # verifies certificates and host names; thread-safe to share


# --------------------------------------------------------------------------------------------------
# One request
# --------------------------------------------------------------------------------------------------


def _exchange(
    target: Target, addresses: list[str], opener: Opener, limits: FetchLimits, deadline: Deadline
) -> FetchedImage | str:
    """GET the target: the picture, or the Location of a redirect."""
    connection = _connect(target, addresses, opener, limits, deadline)
    watchdog: threading.Timer | None = None
    try:
        watchdog = deadline.watch(connection)
        _arm(connection, deadline)
        connection.putrequest("GET", target.request_path, skip_host=True, skip_accept_encoding=True)
        for name, value in (
            ("Host", target.host_header),
            ("User-Agent", USER_AGENT),
            ("Accept", ACCEPT),
            ("Accept-Encoding", "identity"),
            ("Connection", "close"),
        ):
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        if response.status in REDIRECT_STATUSES:
            location = response.getheader("Location")
            if not location:
                raise MediaRefused("status", f"redirect {response.status} without Location")
            return location.strip()
        if response.status != 200:
            raise MediaRefused("status", f"HTTP {response.status}")
        return _read_image(response, connection, limits, deadline)
    except MediaRefused:
        raise
    except Exception as error:  # socket, TLS and protocol errors of every kind
        if deadline.expired or isinstance(error, TimeoutError):
            raise MediaRefused("timeout", f"not fetched within {limits.total_seconds:g} s") from None
        raise MediaRefused("network", f"{type(error).__name__}: {error}") from None
    finally:
        if watchdog is not None:
            watchdog.cancel()
        connection.close()


def _connect(
    target: Target, addresses: list[str], opener: Opener, limits: FetchLimits, deadline: Deadline
) -> http.client.HTTPConnection:
    failure = ""
    for address in addresses:  # every one checked; the next is tried only if one cannot be reached
        connection = opener(
            target.scheme, target.host, target.port, address, min(limits.connect_seconds, deadline.remaining())
        )
        try:
            connection.connect()
            return connection
        except OSError as error:
            connection.close()
            failure = f"{address}: {type(error).__name__}: {error}"
            if isinstance(error, TimeoutError):
                deadline.remaining()  # raises once the whole fetch is out of time
    raise MediaRefused("network", f"cannot connect to {target.host}:{target.port} ({failure})")


def _arm(connection: http.client.HTTPConnection, deadline: Deadline) -> None:
    """Each socket operation may take at most what is left of the deadline."""
    if connection.sock is not None:
        connection.sock.settimeout(deadline.remaining())


def _read_image(
    response: http.client.HTTPResponse, connection: http.client.HTTPConnection, limits: FetchLimits, deadline: Deadline
) -> FetchedImage:
    declared = response.length  # None when absent or chunked
    if declared is not None and declared > limits.max_bytes:
        raise MediaRefused("too_large", f"declared {declared} bytes, the cap is {limits.max_bytes}")
    chunks: list[bytes] = []
    size = 0
    mimetype: str | None = None
    while True:
        _arm(connection, deadline)
        chunk = response.read1(READ_CHUNK)  # one system call at most: the deadline is checked between
        if not chunk:
            break
        size += len(chunk)
        if size > limits.max_bytes:
            raise MediaRefused("too_large", f"more than {limits.max_bytes} bytes")
        chunks.append(chunk)
        if mimetype is None and size >= SNIFF_BYTES:
            mimetype = _sniffed(b"".join(chunks)[:SNIFF_BYTES])  # refuses HTML or SVG before reading on
    deadline.remaining()  # an end of stream caused by the watchdog is a timeout, not a short image
    data = b"".join(chunks)
    if declared is not None and len(data) != declared:
        raise MediaRefused("network", f"body ended after {len(data)} of {declared} bytes")
    return FetchedImage(data, mimetype or _sniffed(data), "")


def _sniffed(head: bytes) -> str:
    mimetype = sniff_image_type(head)
    if mimetype is None:
        raise MediaRefused("not_image", "the bytes are not a JPEG, PNG, GIF or WebP image")
    return mimetype
