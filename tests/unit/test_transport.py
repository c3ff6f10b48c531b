"""Pins (curl's --resolve / --connect-to), proxy variables and the trust chain."""

from __future__ import annotations

import os
import ssl
import sys

import httpx2
import pytest

from app.core.errors import UserError
from app.probe.proxy import (
    ProxyConfigError,
    bypassed,
    choose_proxy,
    proxy_credentials,
    redact_proxy_url,
    settings_from_env,
    strip_credentials,
)
from app.probe.transport import PinError, PinnedBackend, PinnedTransport, Pins, parse_connect_to
from app.probe.trust import TrustError, build_ssl_context

HOST = "dashscope-intl.aliyuncs.com"
DEBIAN_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"


# ------------------------------------------------------------------------------------ pins
def test_resolve_pins_an_address_for_one_host_and_port():
    pins = Pins.parse([f"{HOST}:443:203.0.113.7"], None)
    assert pins.route(HOST, 443) == ("203.0.113.7", 443, True)
    assert pins.route(HOST, 8443)[:2] == (HOST, 8443)  # other port: untouched
    assert pins.route("dashscope.aliyuncs.com", 443)[:2] == ("dashscope.aliyuncs.com", 443)


def test_resolve_accepts_ipv6_in_brackets_and_a_wildcard_host():
    assert Pins.parse([f"{HOST}:443:[::1]"], None).route(HOST, 443)[0] == "::1"
    assert Pins.parse(["*:443:127.0.0.1"], None).route("any.example", 443)[0] == "127.0.0.1"


def test_connect_to_with_empty_fields_matches_any_host_and_port():
    pins = Pins.parse(None, ["::127.0.0.1:8443"])
    assert pins.route(HOST, 443)[:2] == ("127.0.0.1", 8443)
    assert pins.route("x.cn-beijing.maas.aliyuncs.com", 80)[:2] == ("127.0.0.1", 8443)


def test_connect_to_keeps_the_original_port_when_port2_is_empty():
    pin = parse_connect_to(f"{HOST}::edge.example.net:")
    assert Pins((pin,)).route(HOST, 443)[:2] == ("edge.example.net", 443)


def test_connect_to_applies_before_resolve_like_curl():
    pins = Pins.parse(["edge.example.net:443:192.0.2.1"], [f"{HOST}:443:edge.example.net:443"])
    assert pins.route(HOST, 443) == ("192.0.2.1", 443, True)


def test_first_matching_connect_to_wins():
    pins = Pins.parse(None, [f"{HOST}:443:a.example:1", "::b.example:2"])
    assert pins.route(HOST, 443)[:2] == ("a.example", 1)
    assert pins.route("other.example", 443)[:2] == ("b.example", 2)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "host:443",
        "host:443:",
        "host::127.0.0.1",
        "host:0:127.0.0.1",
        "host:65536:127.0.0.1",
        "host:https:127.0.0.1",
        "host:443:localhost",
        "host:443:999.1.1.1",
        "ho st:443:127.0.0.1",
        "hóst:443:127.0.0.1",
        "host:443:[zz::1]",
        "evil.com/#:443:127.0.0.1",
        "a]:443:1.2.3.4",  # S2: stray bracket (used to crash with a ValueError)
        "[::1:443:1.2.3.4",  # S2: unclosed bracket swallowing every ':'
        "host:443:[::1",  # half-bracketed address
        "host:443:[[::1]]",
    ],
)
def test_malformed_resolve_is_a_usage_error(value):
    with pytest.raises(PinError) as info:
        Pins.parse([value], None)
    assert info.value.exit_code == 2
    assert "--resolve" in info.value.message


@pytest.mark.parametrize(
    "value",
    [
        "",
        "a:b:c",
        "::127.0.0.1",
        "a:1:b:2:3",
        "::host:port",
        ":::70000",
        "::*:1",
        "a b::c:1",
        "::[::1:443",
        "]::127.0.0.1:1",
    ],
)
def test_malformed_connect_to_is_a_usage_error(value):
    with pytest.raises(PinError) as info:
        Pins.parse(None, [value])
    assert info.value.exit_code == 2
    assert "--connect-to" in info.value.message


# ----------------------------------------------------------------- the transport, real TLS
async def test_pinned_transport_verifies_the_production_name_over_loopback(simulator):
    """TCP goes to 127.0.0.1, yet SNI and the certificate check use the production name."""
    ctx = ssl.create_default_context(cafile=str(simulator.ca_file))
    seen = []

    async def trace(name, info):
        seen.append(name)

    backend = PinnedBackend(pins=Pins.parse(None, [simulator.connect_to]))
    transport = PinnedTransport(ctx, backend)
    async with httpx2.AsyncClient(transport=transport, trust_env=False) as client:
        response = await client.get(
            f"https://{HOST}/compatible-mode/v1/models",
            headers={"Authorization": f"Bearer {simulator.key('ap-southeast-1')}"},
            extensions={"trace": trace},
        )
    assert response.status_code == 200
    assert response.json()["object"] == "list"
    assert backend.last_destination == ("127.0.0.1", simulator.port)
    assert simulator.requests[-1].host == HOST
    for phase in ("connect_tcp", "start_tls", "send_request_headers", "receive_response_headers"):
        assert any(name.endswith(f"{phase}.complete") for name in seen), phase


async def test_pinned_transport_refuses_a_certificate_for_another_name(simulator):
    """Pinning changes where we connect, never which name the certificate must carry."""
    ctx = ssl.create_default_context(cafile=str(simulator.ca_file))
    backend = PinnedBackend(pins=Pins.parse(None, [simulator.connect_to]))
    async with httpx2.AsyncClient(
        transport=PinnedTransport(ctx, backend), trust_env=False
    ) as client:
        with pytest.raises(httpx2.ConnectError) as info:
            await client.get("https://not-model-studio.example.org/")
    assert isinstance(info.value.__cause__.__context__, ssl.SSLCertVerificationError)


# -------------------------------------------------------------------------------- proxies
def test_scheme_less_https_proxy_gets_http_scheme():
    settings = settings_from_env({"HTTPS_PROXY": "proxy.corp:3128"})
    assert settings.https == "http://proxy.corp:3128"
    choice = choose_proxy("https", HOST, 443, settings)
    assert choice.url == "http://proxy.corp:3128" and choice.variable == "HTTPS_PROXY"


def test_lowercase_variable_wins_and_all_proxy_is_the_fallback():
    env = {"https_proxy": "http://low:1", "HTTPS_PROXY": "http://up:2"}
    assert choose_proxy("https", HOST, 443, settings_from_env(env)).url == "http://low:1"
    env = {"ALL_PROXY": "socks5h://socks.corp:1080"}
    choice = choose_proxy("https", HOST, 443, settings_from_env(env))
    assert choice.url == "socks5h://socks.corp:1080" and choice.variable == "ALL_PROXY"


@pytest.mark.parametrize(
    ("entry", "host", "expected"),
    [
        ("*", HOST, True),
        ("aliyuncs.com", HOST, True),
        (".aliyuncs.com", HOST, True),
        ("*.aliyuncs.com", HOST, True),
        ("cs.com", HOST, False),  # label boundary, not a substring
        ("dashscope-intl.aliyuncs.com:443", HOST, True),
        ("dashscope-intl.aliyuncs.com:8443", HOST, False),
        ("127.0.0.0/8", "127.0.0.1", True),
        ("10.0.0.0/8", "127.0.0.1", False),
        ("localhost", HOST, False),
    ],
)
def test_no_proxy_matching(entry, host, expected):
    assert bypassed(host, 443, (entry,)) is expected


def test_no_proxy_sends_matching_hosts_direct():
    settings = settings_from_env(
        {"HTTPS_PROXY": "http://p:1", "NO_PROXY": "localhost, .aliyuncs.com"}
    )
    choice = choose_proxy("https", HOST, 443, settings)
    assert choice.url is None and choice.bypassed_by_no_proxy
    assert choose_proxy("https", "example.org", 443, settings).url == "http://p:1"
    assert choose_proxy("https", HOST, 443, settings, disabled=True).url is None


def test_proxy_credentials_are_redacted_and_decoded():
    url = "http://us%40er:p%3Ass@proxy:3128"
    assert redact_proxy_url(url) == "http://***:***@proxy:3128"
    assert "p%3Ass" not in redact_proxy_url(url)
    assert proxy_credentials(url) == ("us@er", "p:ss")
    assert strip_credentials(url) == "http://proxy:3128"
    assert redact_proxy_url("http://proxy:3128") == "http://proxy:3128"


@pytest.mark.parametrize("value", ["ftp://proxy:21", "http://", "http://proxy:99999"])
def test_unusable_proxy_variable_is_a_usage_error_without_its_password(value):
    with pytest.raises(ProxyConfigError) as info:
        settings_from_env({"HTTPS_PROXY": value.replace("://", "://u:hunter2@", 1)})
    assert info.value.exit_code == 2
    assert "hunter2" not in info.value.message
    assert "HTTPS_PROXY" in info.value.message


# ---------------------------------------------------------------------------------- trust
def test_ca_file_comes_first_and_is_named(simulator):
    ctx, source = build_ssl_context(simulator.ca_file, {"SSL_CERT_FILE": "/etc/hosts"})
    assert source.kind == "ca-file" and source.detail == str(simulator.ca_file)
    assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname


def test_ssl_cert_file_comes_before_the_os_store(simulator):
    _, source = build_ssl_context(None, {"SSL_CERT_FILE": str(simulator.ca_file)})
    assert source.kind == "ssl-cert-env"
    assert str(simulator.ca_file) in source.detail


def test_unusable_ssl_cert_file_is_ignored_with_a_note():
    _, source = build_ssl_context(None, {"SSL_CERT_FILE": "/nonexistent/bundle.pem"})
    assert source.kind == "os"
    assert source.note == "probe.trust_env_ignored"
    assert source.broken == (("SSL_CERT_FILE", "/nonexistent/bundle.pem"),)


def test_without_settings_the_os_store_is_used_through_truststore():
    import truststore

    ctx, source = build_ssl_context(None, {})
    assert source.kind == "os" and source.detail == f"truststore {truststore.__version__}"
    assert isinstance(ctx, truststore.SSLContext)
    assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname


def _no_compiled_paths(monkeypatch) -> None:
    """OpenSSL's compiled CA paths do not exist (Windows and macOS, and Python builds whose
    OPENSSLDIR is not the distribution's): what the old gate asked, and wrongly obeyed."""
    empty = ssl.DefaultVerifyPaths(None, None, "SSL_CERT_FILE", None, "SSL_CERT_DIR", None)
    monkeypatch.setattr(ssl, "get_default_verify_paths", lambda: empty)


def test_the_os_store_is_used_where_openssl_has_no_compiled_paths(monkeypatch):
    """Windows / macOS: the OS store (the corporate CA installed by IT) is not where OpenSSL
    looks; truststore asks the OS verifier there, so OpenSSL's paths must not matter."""
    from app.probe import trust

    _no_compiled_paths(monkeypatch)
    monkeypatch.setattr(trust, "NATIVE_STORE_PLATFORMS", (trust.sys.platform,))
    _, source = build_ssl_context(None, {})
    assert source.kind == "os"


@pytest.mark.skipif(
    sys.platform in ("win32", "darwin") or not os.path.isfile(DEBIAN_BUNDLE),
    reason="needs an OpenSSL platform with the Debian/Ubuntu CA bundle",
)
def test_on_linux_truststore_finds_the_distribution_bundle_without_compiled_paths(
    monkeypatch,
):
    """A Python whose OpenSSL looks elsewhere (compiled paths missing) still gets the OS
    store: truststore finds the distribution's bundle itself."""
    _no_compiled_paths(monkeypatch)
    _, source = build_ssl_context(None, {})
    assert source.kind == "os"


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="OpenSSL store platforms only")
def test_an_empty_openssl_store_falls_back_to_certifi(monkeypatch):
    """No CA bundle anywhere (a bare container): truststore would refuse every certificate,
    certifi is used and named instead."""
    import certifi

    _no_compiled_paths(monkeypatch)
    real_isfile = os.path.isfile
    monkeypatch.setattr(
        os.path, "isfile", lambda p: not str(p).startswith("/etc/") and real_isfile(p)
    )
    ctx, source = build_ssl_context(None, {})
    assert source.kind == "certifi" and source.detail == certifi.where()
    assert ctx.verify_mode == ssl.CERT_REQUIRED


def test_certifi_is_the_fallback_when_truststore_cannot_be_built(monkeypatch):
    import certifi
    import truststore

    def broken(*args, **kwargs):
        raise OSError("no OS trust bridge")

    monkeypatch.setattr(truststore, "SSLContext", broken)
    _, source = build_ssl_context(None, {"SSL_CERT_FILE": "/nonexistent/bundle.pem"})
    assert source.kind == "certifi" and source.detail == certifi.where()
    assert source.note == "probe.trust_env_ignored"  # the note survives the fallback


def test_missing_or_invalid_ca_file_is_a_usage_error(tmp_path):
    with pytest.raises(TrustError):
        build_ssl_context(tmp_path / "missing.pem", {})
    bad = tmp_path / "bad.pem"
    bad.write_text("-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n")
    with pytest.raises(UserError) as info:
        build_ssl_context(bad, {})
    assert info.value.exit_code == 2


def test_a_terminal_escape_in_a_pin_is_not_echoed_raw():
    with pytest.raises(PinError) as info:
        Pins.parse(["host:443:\x1b[2Jx"], None)
    assert "\x1b" not in info.value.message
    assert "\\x1b" in info.value.message


def test_a_terminal_escape_in_the_ca_file_path_is_not_echoed_raw(tmp_path):
    from app.probe.trust import TrustError, build_ssl_context

    with pytest.raises(TrustError) as info:
        build_ssl_context(str(tmp_path / "\x1b[2Jx.pem"), {})
    assert "\x1b" not in info.value.message
    assert "\\x1b[2Jx.pem" in info.value.message
