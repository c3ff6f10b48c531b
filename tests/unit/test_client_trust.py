"""Which trust store each client uses, and whether a chain's CA is in it.

A trustme CA plays the corporate TLS-inspecting proxy's CA. Where the real library's
context is observable here, the test builds it under the same environment and runs a real
TLS handshake against a trustme server certificate over memory BIOs (no socket, no
network): httpcore2.default_ssl_context (openai, anthropic), httpx 0.28's
create_ssl_context, requests' merge_environment_settings, Python's default context
(aiohttp, websocket-client) and dashscope's async session context. The answer of
`ca_in_store(trust_for(...), chain)` must be the handshake's answer.
"""

from __future__ import annotations

import contextlib
import ssl

import pytest
import trustme

from app.clients.ca_store import ca_in_store, parse_chain
from app.clients.network import client_trust, missing_text, store_text, trust_disagreement
from app.clients.trust_stores import StoreChoice, trust_for
from app.core.i18n import t

HOST = "dashscope.aliyuncs.com"


@pytest.fixture(scope="module")
def corp():
    """The corporate CA and the certificate its proxy presents for Model Studio."""
    ca = trustme.CA(organization_name="Example Corp Inspection")
    return ca, ca.issue_cert(HOST)


@pytest.fixture
def ca_file(corp, tmp_path):
    path = tmp_path / "corp-ca.pem"
    corp[0].cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture
def chain(corp):
    return [ssl.PEM_cert_to_DER_cert(b.bytes().decode()) for b in corp[1].cert_chain_pems]


@pytest.fixture
def environ(monkeypatch):
    """Only the trust variables of the case are set (none of this machine's)."""
    names = (
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
        "REQUESTS_CA_BUNDLE",
        "CURL_CA_BUNDLE",
        "SSL_VERIFY",
        "NODE_EXTRA_CA_CERTS",
        "NODE_OPTIONS",
        "NODE_USE_SYSTEM_CA",
        "NODE_TLS_REJECT_UNAUTHORIZED",
        "CLAUDE_CODE_CERT_STORE",
        "CODEX_CA_CERTIFICATE",
        "WEBSOCKET_CLIENT_CA_BUNDLE",
    )

    def apply(env: dict[str, str]) -> dict[str, str]:
        for name in names:
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return env

    return apply


def handshake(client: ssl.SSLContext, corp) -> bool:
    """A full TLS handshake of `client` against the corporate certificate, in memory."""
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    corp[1].configure_cert(server_ctx)
    c_in, c_out, s_in, s_out = (ssl.MemoryBIO() for _ in range(4))
    conn = client.wrap_bio(c_in, c_out, server_hostname=HOST)
    server = server_ctx.wrap_bio(s_in, s_out, server_side=True)
    for _ in range(20):
        try:
            conn.do_handshake()
            return True
        except ssl.SSLWantReadError:
            pass
        except ssl.SSLCertVerificationError:
            return False
        s_in.write(c_out.read())
        with contextlib.suppress(ssl.SSLError):  # the server side's alert, if any
            server.do_handshake()
        c_in.write(s_out.read())
    raise AssertionError("handshake did not finish")


def httpcore2_context() -> ssl.SSLContext:
    import httpcore2

    return httpcore2.default_ssl_context()


def httpx_context() -> ssl.SSLContext:
    import httpx

    return httpx.create_ssl_context()


def dashscope_async_context() -> ssl.SSLContext:
    from dashscope.api_entities import aio_session

    aio_session._shared_ssl_context = None  # built once per process; build it for this case
    return aio_session.get_ssl_context()


REAL = {
    "httpx2": httpcore2_context,  # openai: httpx2 passes verify=True to httpcore2
    "httpx": httpx_context,
    "aiohttp": ssl.create_default_context,  # aiohttp's default connector context
    "dashscope-aio": dashscope_async_context,
}


@pytest.mark.parametrize("stack", sorted(REAL))
@pytest.mark.parametrize("variable", [None, "SSL_CERT_FILE", "SSL_CERT_DIR"])
def test_the_store_accepts_exactly_what_the_real_context_accepts(
    stack, variable, environ, ca_file, chain, corp, tmp_path
):
    env = {}
    if variable == "SSL_CERT_FILE":
        env = {"SSL_CERT_FILE": ca_file}
    elif variable == "SSL_CERT_DIR":
        folder = tmp_path / "certs"
        folder.mkdir()
        corp[0].cert_pem.write_to_path(str(folder / "corp.pem"))
        _rehash(folder)  # OpenSSL looks a directory up by subject-hash file names
        env = {"SSL_CERT_DIR": str(folder)}
    env = environ(env)
    choice = trust_for(stack, env)
    assert ca_in_store(choice, chain) is handshake(REAL[stack](), corp)


def _rehash(folder) -> None:
    """Give each PEM of `folder` its OpenSSL subject-hash name (what `c_rehash` does)."""
    import subprocess

    for pem in list(folder.glob("*.pem")):
        out = subprocess.run(
            ["openssl", "x509", "-hash", "-noout", "-in", str(pem)],
            capture_output=True,
            text=True,
            check=False,
        )
        if out.returncode != 0:
            pytest.skip("openssl(1) is needed to name a CA directory the way OpenSSL reads it")
        (folder / f"{out.stdout.strip()}.0").write_bytes(pem.read_bytes())


def test_the_os_store_is_httpx2_s_and_not_certifi(environ, corp, chain, tmp_path, monkeypatch):
    """IT installed the corporate CA in the OS store (here: OpenSSL's compiled-in file,
    pointed at a temporary bundle): the openai SDK (httpx2) accepts the chain, httpx 0.28
    (certifi) does not, and Node clients need NODE_EXTRA_CA_CERTS."""
    bundle = tmp_path / "os-bundle.pem"
    corp[0].cert_pem.write_to_path(str(bundle))
    real = ssl.get_default_verify_paths()
    fake = real._replace(
        cafile=str(bundle),
        capath=None,
        openssl_cafile=str(bundle),
        openssl_capath=str(tmp_path / "none"),
    )
    monkeypatch.setattr(ssl, "get_default_verify_paths", lambda: fake)
    # httpx2 2.14 (Python 3.10) hands the OS store to truststore, which asks OpenSSL itself
    # (`set_default_verify_paths`, below Python): point that at the same bundle.
    monkeypatch.setattr(
        ssl.SSLContext,
        "set_default_verify_paths",
        lambda ctx: ctx.load_verify_locations(cafile=str(bundle)),
    )
    env = environ({})
    assert handshake(httpcore2_context(), corp) is True
    assert ca_in_store(trust_for("httpx2", env), chain) is True
    assert handshake(httpx_context(), corp) is False
    assert ca_in_store(trust_for("httpx", env), chain) is False
    trusts = client_trust(env, chain, ["openai", "litellm", "qwen-code", "opencode", "claude-code"])
    accepts = {x.client: x.accepts for x in trusts}
    assert accepts == {
        "openai": True,
        "litellm": False,
        "qwen-code": False,
        "opencode": False,
        "claude-code": True,  # Claude Code 2.1.332 trusts bundled + system by default
    }
    lines = trust_disagreement(trusts, "en")
    assert lines[0].startswith("openai, claude-code accept this certificate chain")
    node_fix = t(
        "client_network.trust_fix",
        "en",
        clients="qwen-code, opencode",
        variable="NODE_EXTRA_CA_CERTS",
        store=t("client_network.store.mozilla", "en"),
    )
    assert node_fix in lines
    assert any("litellm need SSL_CERT_FILE" in line for line in lines)


def test_requests_reads_its_own_variables_not_ssl_cert_file(environ, ca_file, chain, corp):
    """dashscope (requests) ignores SSL_CERT_FILE and takes REQUESTS_CA_BUNDLE, as requests
    itself hands the path to urllib3."""
    import requests

    url = f"https://{HOST}/api/v1"
    env = environ({"SSL_CERT_FILE": ca_file})
    verify = requests.Session().merge_environment_settings(url, {}, None, None, None)["verify"]
    assert verify is True  # -> certifi
    assert trust_for("requests", env).kinds == ("certifi",)
    assert ca_in_store(trust_for("requests", env), chain) is False
    env = environ({"REQUESTS_CA_BUNDLE": ca_file})
    verify = requests.Session().merge_environment_settings(url, {}, None, None, None)["verify"]
    choice = trust_for("requests", env)
    assert verify == ca_file == choice.sources[0].path
    assert handshake(ssl.create_default_context(cafile=verify), corp) is True
    assert ca_in_store(choice, chain) is True


def test_node_needs_node_extra_ca_certs(environ, ca_file, chain):
    env = environ({"SSL_CERT_FILE": ca_file})
    assert trust_for("qwen-code", env).kinds == ("mozilla",)
    assert ca_in_store(trust_for("qwen-code", env), chain) is False
    env = environ({"NODE_EXTRA_CA_CERTS": ca_file})
    choice = trust_for("qwen-code", env)
    assert choice.kinds == ("mozilla", "file")
    assert ca_in_store(choice, chain) is True
    assert "NODE_EXTRA_CA_CERTS" in store_text(choice, "en")


def test_node_system_ca_switches_and_their_versions(environ, ca_file, chain):
    """NODE_USE_SYSTEM_CA=1 (Node >= 22.19) adds the system store, which on Linux is
    OpenSSL's file and folder, so SSL_CERT_FILE counts then; --use-openssl-ca replaces the
    bundled roots."""
    env = environ({"NODE_USE_SYSTEM_CA": "1", "SSL_CERT_FILE": ca_file})
    choice = trust_for("node", env, "linux")
    assert choice.note == "node_22_19"
    assert ca_in_store(choice, chain) is True
    env = environ({"NODE_OPTIONS": "--use-openssl-ca", "SSL_CERT_FILE": ca_file})
    assert "mozilla" not in trust_for("node", env, "linux").kinds


def test_claude_code_cert_store_variable(environ, chain, ca_file):
    env = environ({"CLAUDE_CODE_CERT_STORE": "bundled"})
    assert trust_for("claude-code", env).kinds == ("mozilla",)
    env = environ({"CLAUDE_CODE_CERT_STORE": "bogus"})  # all invalid: the default
    assert "mozilla" in trust_for("claude-code", env).kinds
    assert len(trust_for("claude-code", env).kinds) > 1
    env = environ({"CLAUDE_CODE_CERT_STORE": "bundled", "NODE_EXTRA_CA_CERTS": ca_file})
    assert ca_in_store(trust_for("claude-code", env), chain) is True


def test_codex_adds_its_ca_to_the_system_roots(environ, ca_file, chain):
    env = environ({"CODEX_CA_CERTIFICATE": ca_file})
    choice = trust_for("codex", env)
    assert choice.sources[-1].variable == "CODEX_CA_CERTIFICATE"
    assert ca_in_store(choice, chain) is True
    env = environ({"CODEX_CA_CERTIFICATE": "", "SSL_CERT_FILE": ca_file})  # empty = unset
    assert trust_for("codex", env).sources[-1].variable == "SSL_CERT_FILE"


def test_litellm_switches(environ, ca_file, chain, tmp_path):
    env = environ({"SSL_VERIFY": "False"})
    choice = trust_for("litellm", env)
    assert choice.verify is False
    assert ca_in_store(choice, chain) is True  # it accepts anything
    assert store_text(choice, "en") == t("client_network.store.unverified", "en")
    env = environ({"SSL_VERIFY": ca_file})
    assert ca_in_store(trust_for("litellm", env), chain) is True
    env = environ({"SSL_CERT_FILE": str(tmp_path / "gone.pem")})
    choice = trust_for("litellm", env)  # checked with exists(): ignored, certifi
    assert choice.kinds == ("certifi",) and choice.missing == ("SSL_CERT_FILE",)
    assert not choice.fails
    assert choice.fails is not trust_for("httpx2", env).fails  # the openai SDK stops


def test_a_missing_file_is_named_with_its_consequence(environ, tmp_path):
    env = environ({"SSL_CERT_FILE": str(tmp_path / "gone.pem")})
    [openai, litellm] = client_trust(env, None, ["openai", "litellm"])
    assert "fails to start" in missing_text(openai, "en")[0]
    assert "ignores it" in missing_text(litellm, "en")[0]
    assert "无法启动" in missing_text(openai, "zh")[0]


def test_another_machine_s_store_is_unknown_not_false(environ, chain):
    env = environ({})
    assert ca_in_store(trust_for("httpx2", env, "win32"), chain) is None
    assert ca_in_store(trust_for("httpx2", env, "darwin"), chain) is None


def test_a_ca_path_that_is_a_key_is_never_shown(environ, chain):
    key = "sk-" + "0123456789abcdef" * 2
    env = environ({"NODE_EXTRA_CA_CERTS": key})
    text = store_text(trust_for("qwen-code", env), "en", key=key)
    assert key not in text
    assert key not in store_text(trust_for("qwen-code", env), "en")  # key-shaped: hidden too


def test_an_intermediate_chain_is_anchored_at_its_root(corp, tmp_path, environ):
    """A proxy that presents leaf + intermediate: the root in the file is enough."""
    intermediate = corp[0].create_child_ca()
    leaf = intermediate.issue_cert(HOST)
    pem = "".join(b.bytes().decode() for b in leaf.cert_chain_pems)
    der = [ssl.PEM_cert_to_DER_cert(b.bytes().decode()) for b in leaf.cert_chain_pems]
    assert len(parse_chain(pem)) == len(parse_chain(der)) == 2
    root = tmp_path / "root.pem"
    corp[0].cert_pem.write_to_path(str(root))
    env = environ({"NODE_EXTRA_CA_CERTS": str(root)})
    assert ca_in_store(trust_for("qwen-code", env), pem) is True
    other = tmp_path / "other.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    env = environ({"NODE_EXTRA_CA_CERTS": str(other)})
    assert ca_in_store(trust_for("qwen-code", env), pem) is False


def test_no_readable_chain_is_unknown(corp):
    assert parse_chain(b"not a certificate") == []
    assert ca_in_store(StoreChoice("x", ()), b"junk") is None
