"""Issue 9, "Images": a partner's picture is fetched with SSRF protection (newsdesk.media.fetch).

http/https only, no credentials, no private/loopback/link-local/... address after DNS resolution
(every resolved address checked; an explicit "host:port" allowlist for loopback test servers), the
connection pinned to the checked address, redirects followed by hand and re-checked, caps on bytes
and time, and the bytes sniffed whatever Content-Type says. The pictures come from a loopback
server (tests/support/image_server.py); other hosts are made up and resolved by a fake ``resolve``.
"""

from __future__ import annotations

import http.client
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from newsdesk.media import MediaRefused
from newsdesk.media.fetch import FetchedImage, FetchLimits, PinnedHTTPSConnection, fetch_image
from tests.support.image_server import ImageServer, encode, photo_jpeg, png_bytes, solid

pytestmark = pytest.mark.unit

LIMITS = FetchLimits(max_bytes=1_000_000, total_seconds=5.0, connect_seconds=2.0, max_redirects=3)
JPEG = photo_jpeg(64, 48)
PNG = png_bytes(32, 32)
GIF = encode(solid(8, 8, (255, 0, 0)), "GIF")
WEBP = encode(solid(8, 8, (0, 0, 255)), "WEBP")
PUBLIC = "93.184.216.34"

Resolved = list[tuple[Any, ...]]


@pytest.fixture(scope="module")
def server() -> Iterator[ImageServer]:
    with ImageServer() as image_server:
        image_server.add("/photo.jpg", JPEG, "image/jpeg")
        image_server.add("/photo.png", PNG, "image/png")
        image_server.add("/photo.gif", GIF, "image/gif")
        image_server.add("/photo.webp", WEBP, "image/webp")
        yield image_server


def allow(server: ImageServer) -> frozenset[str]:
    return frozenset({server.host_port})


def fake_resolve(table: dict[str, list[str]], calls: list[str] | None = None) -> Callable[..., Resolved]:
    """getaddrinfo for made-up names: each name gives the addresses listed, in order."""

    def resolve(host: str, port: Any, *args: Any, **kwargs: Any) -> Resolved:
        if calls is not None:
            calls.append(host)
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        answers: Resolved = []
        for address in table[host]:
            if ":" in address:
                answers.append((socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, int(port), 0, 0)))
            else:
                answers.append((socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port))))
        return answers

    return resolve


def no_connection(*args: Any, **kwargs: Any) -> http.client.HTTPConnection:
    raise AssertionError("no connection may be opened for a refused URL")


def refused(url: str, reason: str, **kwargs: Any) -> MediaRefused:
    kwargs.setdefault("allowlist", frozenset())
    kwargs.setdefault("limits", LIMITS)
    with pytest.raises(MediaRefused) as caught:
        fetch_image(url, **kwargs)
    assert caught.value.reason == reason, str(caught.value)
    return caught.value


# --- what is fetched ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "mimetype"),
    [
        ("/photo.jpg", JPEG, "image/jpeg"),
        ("/photo.png", PNG, "image/png"),
        ("/photo.gif", GIF, "image/gif"),
        ("/photo.webp", WEBP, "image/webp"),
    ],
)
def test_an_allowlisted_loopback_server_serves_each_image_type(
    server: ImageServer, path: str, body: bytes, mimetype: str
) -> None:
    fetched = fetch_image(server.url(path), allowlist=allow(server), limits=LIMITS)
    assert fetched == FetchedImage(data=body, mimetype=mimetype, url=server.url(path))


def test_the_type_is_sniffed_from_the_bytes_not_taken_from_content_type(server: ImageServer) -> None:
    url = server.add("/png-said-html", PNG, "text/html")
    assert fetch_image(url, allowlist=allow(server), limits=LIMITS).mimetype == "image/png"


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"<html><body>not a picture</body></html>", "image/jpeg"),
        (
            b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "image/svg+xml",
        ),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/png"),
        (b"", "image/jpeg"),
        (b"\xff\xd8", "image/jpeg"),  # too short for any signature
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", "image/webp"),  # RIFF but not WebP
        (b"%PDF-1.7\n", "image/gif"),
    ],
)
def test_bytes_that_are_not_a_known_image_are_refused_whatever_the_content_type(
    server: ImageServer, body: bytes, content_type: str
) -> None:
    url = server.add(f"/lie-{abs(hash((body, content_type)))}", body, content_type)
    refused(url, "not_image", allowlist=allow(server))


# --- addresses -----------------------------------------------------------------------------------


def test_loopback_is_refused_without_the_allowlist_and_nothing_is_requested(server: ImageServer) -> None:
    before = len(server.requests)
    refused(server.url("/photo.jpg"), "address")
    refused(f"http://localhost:{server.port}/photo.jpg", "address")
    assert len(server.requests) == before


def test_the_allowlist_names_host_and_port_exactly(server: ImageServer) -> None:
    other_port = frozenset({f"{server.host}:{server.port + 1}"})
    refused(server.url("/photo.jpg"), "address", allowlist=other_port)


@pytest.mark.parametrize(
    "address",
    [
        "10.1.2.3",
        "172.16.0.1",
        "192.168.0.10",
        "127.0.0.1",
        "127.1.2.3",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",
        "224.0.0.1",  # multicast
        "239.255.255.250",
        "240.0.0.1",  # reserved
        "255.255.255.255",
        "198.18.0.1",  # benchmarking
        "192.0.0.8",
        "::1",
        "::",
        "fd00::1",  # unique local
        "fe80::1",  # link-local
        "ff02::1",  # multicast
        "::ffff:10.0.0.1",  # IPv4-mapped private
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        "::127.0.0.1",  # IPv4-compatible (deprecated)
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
        "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
        "2001:db8::1",  # documentation
    ],
)
def test_a_name_resolving_to_a_non_public_address_is_refused(address: str) -> None:
    resolve = fake_resolve({"images.partner.test": [address]})
    refused("http://images.partner.test/a.jpg", "address", resolve=resolve, opener=no_connection)


def test_literal_private_addresses_in_the_url_are_refused() -> None:
    for url in (
        "http://10.0.0.1/a.jpg",
        "http://[::1]/a.jpg",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:7f00:1]/a.jpg",
        "http://2130706433/a.jpg",
        "http://0x7f.1/a.jpg",
    ):
        with pytest.raises(MediaRefused) as caught:
            fetch_image(url, allowlist=frozenset(), limits=LIMITS, opener=no_connection)
        assert caught.value.reason in {"address", "dns"}, url


def test_one_non_public_address_among_several_is_enough_to_refuse() -> None:
    resolve = fake_resolve({"images.partner.test": [PUBLIC, "10.0.0.7"]})
    refused("http://images.partner.test/a.jpg", "address", resolve=resolve, opener=no_connection)


def test_a_name_that_does_not_resolve_is_refused() -> None:
    refused("http://nowhere.partner.test/a.jpg", "dns", resolve=fake_resolve({}), opener=no_connection)


def test_a_public_address_is_fetched_from_the_checked_address_with_one_lookup(server: ImageServer) -> None:
    """DNS rebinding: the name is resolved once, and the connection goes to that checked address;
    a second lookup (which here would answer 127.0.0.1) never happens. The opener stands for the
    network: it connects the checked public address to the loopback server."""
    calls: list[str] = []
    answers = iter([[PUBLIC], ["127.0.0.1"], ["127.0.0.1"]])

    def rebinding(host: str, port: Any, *args: Any, **kwargs: Any) -> Resolved:
        calls.append(host)
        return fake_resolve({host: next(answers)})(host, port)

    opened: list[tuple[str, str, int, str]] = []

    def network(scheme: str, host: str, port: int, address: str, timeout: float) -> http.client.HTTPConnection:
        opened.append((scheme, host, port, address))
        assert address == PUBLIC
        return http.client.HTTPConnection(server.host, server.port, timeout=timeout)

    url = f"http://images.partner.test:{server.port}/photo.jpg"
    fetched = fetch_image(url, allowlist=frozenset(), limits=LIMITS, resolve=rebinding, opener=network)
    assert fetched.data == JPEG
    assert calls == ["images.partner.test"]
    assert opened == [("http", "images.partner.test", server.port, PUBLIC)]


def test_an_allowlisted_name_connects_to_its_resolved_address_and_sends_its_host_header(server: ImageServer) -> None:
    calls: list[str] = []
    resolve = fake_resolve({"images.partner.test": ["127.0.0.1"]}, calls)
    url = f"http://images.partner.test:{server.port}/photo.jpg"
    allowlist = frozenset({f"images.partner.test:{server.port}"})
    fetched = fetch_image(url, allowlist=allowlist, limits=LIMITS, resolve=resolve)
    assert fetched.data == JPEG
    assert calls == ["images.partner.test"]  # the made-up name is never looked up for real
    assert server.requests[-1].path == "/photo.jpg"
    assert server.requests[-1].headers["Host"] == f"images.partner.test:{server.port}"


def test_https_connects_to_the_pinned_address_and_sends_the_name_as_sni(server: ImageServer) -> None:
    seen: dict[str, Any] = {}

    class RecordingContext(ssl.SSLContext):
        def wrap_socket(  # type: ignore[override]
            self, sock: socket.socket, *args: Any, server_hostname: str | None = None, **kwargs: Any
        ) -> Any:
            seen["server_hostname"] = server_hostname
            seen["peer"] = sock.getpeername()[:2]
            sock.close()
            raise ssl.SSLError("handshake refused by the test")

    def opener(scheme: str, host: str, port: int, address: str, timeout: float) -> http.client.HTTPConnection:
        assert scheme == "https"
        return PinnedHTTPSConnection(
            host, port, address=address, timeout=timeout, context=RecordingContext(ssl.PROTOCOL_TLS_CLIENT)
        )

    resolve = fake_resolve({"images.partner.test": ["127.0.0.1"]})
    url = f"https://images.partner.test:{server.port}/photo.jpg"
    allowlist = frozenset({f"images.partner.test:{server.port}"})
    refused(url, "network", allowlist=allowlist, resolve=resolve, opener=opener)
    assert seen == {"server_hostname": "images.partner.test", "peer": ("127.0.0.1", server.port)}


# --- redirects -------------------------------------------------------------------------------------


def test_redirects_are_followed_up_to_the_limit(server: ImageServer) -> None:
    server.redirect("/hop1", "/hop2", 301)
    server.redirect("/hop2", server.url("/hop3"), 307)
    server.redirect("/hop3", "photo.jpg", 308)  # relative to /hop3
    fetched = fetch_image(server.url("/hop1"), allowlist=allow(server), limits=LIMITS)
    assert fetched.data == JPEG
    assert fetched.url == server.url("/photo.jpg")


def test_one_redirect_too_many_is_refused(server: ImageServer) -> None:
    for hop in range(1, 5):
        server.redirect(f"/many{hop}", f"/many{hop + 1}")
    server.redirect("/many5", "/photo.jpg")
    refused(server.url("/many2"), "redirects", allowlist=allow(server))  # /many2 -> ... -> photo: 4 hops


def test_a_redirect_loop_is_refused(server: ImageServer) -> None:
    server.redirect("/loop", "/loop")
    refused(server.url("/loop"), "redirects", allowlist=allow(server))


def test_a_redirect_to_a_private_address_is_refused_before_connecting(server: ImageServer) -> None:
    server.redirect("/to-metadata", "http://internal.partner.test/latest/meta-data/")
    resolve = fake_resolve({"127.0.0.1": ["127.0.0.1"], "internal.partner.test": ["169.254.169.254"]})
    refused(server.url("/to-metadata"), "address", allowlist=allow(server), resolve=resolve)


def test_a_redirect_to_another_loopback_port_is_not_covered_by_the_allowlist(server: ImageServer) -> None:
    server.redirect("/to-other-port", f"http://127.0.0.1:{server.port + 1}/admin")
    refused(server.url("/to-other-port"), "address", allowlist=allow(server))


@pytest.mark.parametrize("location", ["file:///etc/passwd", "ftp://files.partner.test/a.jpg", "gopher://x/"])
def test_a_redirect_to_another_scheme_is_refused(server: ImageServer, location: str) -> None:
    path = f"/to-scheme-{location.split(':')[0]}"
    server.redirect(path, location)
    refused(server.url(path), "scheme", allowlist=allow(server))


def test_a_redirect_without_location_is_refused(server: ImageServer) -> None:
    url = server.add("/nowhere", b"", "text/plain", 302)
    refused(url, "status", allowlist=allow(server))


@pytest.mark.parametrize("status", [204, 403, 404, 500])
def test_an_answer_other_than_200_is_refused(server: ImageServer, status: int) -> None:
    url = server.add(f"/status{status}", JPEG, "image/jpeg", status)
    refused(url, "status", allowlist=allow(server))


# --- caps -------------------------------------------------------------------------------------------


def test_a_declared_length_over_the_cap_is_refused(server: ImageServer) -> None:
    url = server.add("/declared-big", JPEG + b"\0" * 2_000, "image/jpeg")
    limits = FetchLimits(max_bytes=len(JPEG), total_seconds=5.0, connect_seconds=2.0, max_redirects=3)
    refused(url, "too_large", allowlist=allow(server), limits=limits)


def test_a_streamed_body_over_the_cap_is_refused(server: ImageServer) -> None:
    url = server.add("/streamed-big", JPEG + b"\0" * 300_000, "image/jpeg", declare_length=False)
    limits = FetchLimits(max_bytes=100_000, total_seconds=5.0, connect_seconds=2.0, max_redirects=3)
    refused(url, "too_large", allowlist=allow(server), limits=limits)


def test_a_streamed_body_under_the_cap_is_fetched(server: ImageServer) -> None:
    url = server.add("/streamed", JPEG, "image/jpeg", declare_length=False)
    assert fetch_image(url, allowlist=allow(server), limits=LIMITS).data == JPEG


def test_a_slow_answer_is_refused_at_the_total_time_limit(server: ImageServer) -> None:
    url = server.add("/slow", JPEG, "image/jpeg", delay=30)
    limits = FetchLimits(max_bytes=1_000_000, total_seconds=0.3, connect_seconds=0.3, max_redirects=3)
    refused(url, "timeout", allowlist=allow(server), limits=limits)


def test_a_server_dripping_its_headers_is_cut_at_the_deadline(server: ImageServer) -> None:
    """Every read gets a byte in time, so only the watchdog ends the fetch: the server sees the client
    hang up before its answer (about 12 s of headers at this pace) is written."""
    headers = {"X-Padding": "p" * 4_000}
    url = server.add("/drip", b"", "image/jpeg", headers=headers, drip=0.02)
    limits = FetchLimits(max_bytes=1_000_000, total_seconds=0.5, connect_seconds=0.5, max_redirects=3)
    refused(url, "timeout", allowlist=allow(server), limits=limits)
    assert server.delivered("/drip") is False


def test_a_closed_port_is_refused_as_a_network_failure(server: ImageServer) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    refused(f"http://127.0.0.1:{port}/a.jpg", "network", allowlist=frozenset({f"127.0.0.1:{port}"}))


# --- URLs ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "ftp://files.partner.test/a.jpg",
        "file:///etc/passwd",
        "data:image/png;base64,iVBORw0KGgo=",
        "javascript:alert(1)",
        "gopher://partner.test/",
        "//partner.test/a.jpg",
        "partner.test/a.jpg",
    ],
)
def test_schemes_other_than_http_and_https_are_refused(url: str) -> None:
    refused(url, "scheme", resolve=fake_resolve({}), opener=no_connection)


@pytest.mark.parametrize(
    "url",
    [
        "http://user:secret@images.partner.test/a.jpg",
        "https://user@images.partner.test/a.jpg",
        "http://:secret@images.partner.test/a.jpg",
    ],
)
def test_credentials_in_the_url_are_refused(url: str) -> None:
    resolve = fake_resolve({"images.partner.test": [PUBLIC]})
    refused(url, "credentials", resolve=resolve, opener=no_connection)


@pytest.mark.parametrize(
    "url",
    [
        "http:///a.jpg",
        "http://[::1/a.jpg",
        "http://images.partner.test:99999/a.jpg",
        "http://images.partner.test:x/",
        "http://images.partner.test/a b\r\nX-Injected: 1",
        "http://" + "a" * 300 + ".test/",
    ],
)
def test_malformed_urls_are_refused(url: str) -> None:
    resolve = fake_resolve({"images.partner.test": [PUBLIC]})
    refused(url, "url", resolve=resolve, opener=no_connection)


def test_media_refused_carries_a_reason_word_and_a_message() -> None:
    error = MediaRefused("too_large", "declared 30000000 bytes, the cap is 20971520")
    assert error.reason == "too_large"
    assert "30000000" in str(error) and str(error).startswith("too_large")


# --- https end to end (a self-signed certificate made with the openssl command) -------------------


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, ssl.SSLContext, dict[str, str]]]:
    """An https server on loopback for images.partner.test; yields its port, a client context that
    trusts its certificate, and what it saw (SNI, Host)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is not installed")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "1", "-subj", "/CN=images.partner.test", "-addext", "subjectAltName=DNS:images.partner.test"],
        check=True, capture_output=True,
    )  # fmt: skip
    seen: dict[str, str] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen["host"] = self.headers["Host"]
            self.send_response(200)
            self.send_header("Content-Length", str(len(JPEG)))
            self.end_headers()
            self.wfile.write(JPEG)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    server_context.sni_callback = lambda sock, name, context: seen.update(sni=str(name))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.socket = server_context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(httpd.server_address[1]), ssl.create_default_context(cafile=str(cert)), seen
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_https_through_the_pinned_connection_verifies_the_name_it_sends_as_sni(
    tls_server: tuple[int, ssl.SSLContext, dict[str, str]],
) -> None:
    port, trusting, seen = tls_server
    resolve = fake_resolve({"images.partner.test": ["127.0.0.1"], "other.partner.test": ["127.0.0.1"]})

    def opener(scheme: str, host: str, port: int, address: str, timeout: float) -> http.client.HTTPConnection:
        return PinnedHTTPSConnection(host, port, address=address, timeout=timeout, context=trusting)

    allowlist = frozenset({f"images.partner.test:{port}", f"other.partner.test:{port}"})
    url = f"https://images.partner.test:{port}/photo.jpg"
    fetched = fetch_image(url, allowlist=allowlist, limits=LIMITS, resolve=resolve, opener=opener)
    assert fetched.data == JPEG
    assert seen == {"sni": "images.partner.test", "host": f"images.partner.test:{port}"}
    # The certificate names images.partner.test only; the default context trusts no self-signed one.
    error = refused(f"https://other.partner.test:{port}/photo.jpg", "network", allowlist=allowlist,
                    resolve=resolve, opener=opener)  # fmt: skip
    assert "CERTIFICATE_VERIFY_FAILED" in error.message
    error = refused(url, "network", allowlist=allowlist, resolve=resolve)
    assert "CERTIFICATE_VERIFY_FAILED" in error.message
