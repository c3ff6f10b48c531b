"""Where the certificates that TLS verification trusts come from, and what a failure means.

Verification is never switched off (SECURITY.md T14). Instead the user can say what to trust
(`--ca-file`, `SSL_CERT_FILE` / `SSL_CERT_DIR`), and otherwise the OS store is used (what the
browser trusts, which includes a corporate CA installed by IT) through truststore on every
OS: the Windows and macOS stores are not where OpenSSL looks, so asking OpenSSL whether a
store exists would ignore exactly the corporate CA that matters. certifi is the fallback
when truststore cannot be built, or on an OpenSSL platform without any CA bundle installed
(a bare container), where the OS store would refuse every certificate. The report names the
source, because "works in the browser, fails in Python" is almost always a trust source
question.
"""

from __future__ import annotations

import os
import re
import ssl
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from app.core.errors import UserError
from app.core.models import TlsInfo, TrustSource
from app.core.text import inert
from app.findings.codes import CERT_NAME_MAX, SHORT_MAX, inert_or_none

if TYPE_CHECKING:  # only a type: building a context must not import httpx2/httpcore2
    from app.probe.transport import PinnedBackend

# OpenSSL verify codes (X509_V_ERR_*) that name a specific, fixable cause.
_EXPIRED = {9, 10}  # CERT_NOT_YET_VALID, CERT_HAS_EXPIRED
_HOSTNAME = {62}  # HOSTNAME_MISMATCH
_UNTRUSTED = {2, 18, 19, 20, 21, 27}  # unknown issuer, self-signed, untrusted chain
_HASHED_CERT = re.compile(r"[0-9a-fA-F]{8}\.[0-9]")  # OpenSSL's c_rehash names: 1a2b3c4d.0
# Where truststore looks when OpenSSL's compiled paths hold nothing (its list, truststore 0.10).
_CA_BUNDLES = (
    "/etc/ssl/cert.pem",  # Alpine, Arch, Fedora 34-43, OpenWRT, RHEL 9-10, the BSDs
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",  # Fedora 44+, RHEL 11+
    "/etc/pki/tls/cert.pem",  # older Fedora, RHEL, CentOS
    "/etc/ssl/certs/ca-certificates.crt",  # Debian, Ubuntu (ca-certificates)
    "/etc/ssl/ca-bundle.pem",  # SUSE
)
MAX_SAN_NAMES = 5  # a certificate may list hundreds; the first few explain a mismatch
# Where truststore asks the OS's own verifier; elsewhere it loads OpenSSL's store files.
NATIVE_STORE_PLATFORMS = ("win32", "darwin")


class TrustError(UserError):
    """A trust setting given by the user cannot be used (exit 2, nothing sent). The path is
    quoted back with control characters escaped, so a typed terminal escape stays inert."""

    single_line_params = True


def _client_context(cafile: str | None = None, capath: str | None = None) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=cafile, capath=capath)
    ctx.check_hostname = True
    ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


def _load_ca_file(path: Path) -> ssl.SSLContext:
    if not path.is_file():
        raise TrustError("probe.ca_file_missing", path=str(path))
    try:
        return _client_context(cafile=str(path))
    except (ssl.SSLError, OSError, ValueError):
        raise TrustError("probe.ca_file_invalid", path=str(path)) from None


def _os_context() -> tuple[ssl.SSLContext, str] | None:
    """truststore's context over the OS store (and its name), or None when it cannot be
    built or, on an OpenSSL platform, would hold no CA at all."""
    if sys.platform not in NATIVE_STORE_PLATFORMS and _openssl_store_empty():
        return None
    try:
        # lazy: truststore loads the OS trust bridge, needed only when a run starts
        import truststore

        ctx = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        return ctx, f"truststore {truststore.__version__}"
    except Exception:  # any failure here means: fall back to certifi
        return None


def _openssl_store_empty() -> bool:
    """Whether truststore would find no CA where it reads OpenSSL's store (Linux, the BSDs):
    it loads OpenSSL's default file or hashed directory, else the first distribution bundle
    of _CA_BUNDLES. Answered with the stdlib alone (truststore's context tells nothing about
    its store), the way httpcore2's own default context does."""
    paths = ssl.get_default_verify_paths()
    if paths.cafile:  # None unless the file exists
        return False
    try:
        if paths.capath and any(_HASHED_CERT.fullmatch(n) for n in os.listdir(paths.capath)):
            return False
    except OSError:
        pass
    return not any(os.path.isfile(bundle) for bundle in _CA_BUNDLES)


def build_ssl_context(
    ca_file: str | Path | None, env: Mapping[str, str]
) -> tuple[ssl.SSLContext, TrustSource]:
    """The verifying client context for this run, and the name of its trust source."""
    if ca_file:
        path = Path(ca_file).expanduser()
        return _load_ca_file(path), TrustSource("ca-file", str(path))
    note = None
    cert_file, cert_dir = env.get("SSL_CERT_FILE"), env.get("SSL_CERT_DIR")
    broken: list[tuple[str, str]] = []
    if cert_file or cert_dir:
        usable_file = cert_file if cert_file and _pem_file_usable(cert_file) else None
        usable_dir = cert_dir if cert_dir and os.path.isdir(cert_dir) else None
        if cert_file and usable_file is None:
            broken.append(("SSL_CERT_FILE", cert_file))
        if cert_dir and usable_dir is None:
            broken.append(("SSL_CERT_DIR", cert_dir))
        if usable_file or usable_dir:
            try:
                ctx = _client_context(cafile=usable_file, capath=usable_dir)
                detail = " + ".join(
                    f"{n}={v}"
                    for n, v in (("SSL_CERT_FILE", usable_file), ("SSL_CERT_DIR", usable_dir))
                    if v
                )
                return ctx, TrustSource("ssl-cert-env", detail, broken=tuple(broken))
            except (ssl.SSLError, OSError):
                pass
        note = "probe.trust_env_ignored"
    os_store = _os_context()
    if os_store is not None:
        return os_store[0], TrustSource("os", os_store[1], note, tuple(broken))
    # lazy: only when neither the user's CA nor the OS store can be used
    import certifi

    source = TrustSource("certifi", certifi.where(), note, tuple(broken))
    return _client_context(cafile=certifi.where()), source


def _pem_file_usable(path: str) -> bool:
    """A file OpenSSL can load CA certificates from (missing, a directory or junk: not)."""
    if not os.path.isfile(path):
        return False
    try:
        ssl.create_default_context(cafile=path)
    except (ssl.SSLError, OSError, ValueError):
        return False
    return True


def tls_info(ssl_object: ssl.SSLObject | ssl.SSLSocket | None) -> TlsInfo | None:
    """Version, cipher and certificate names of a verified connection (for the report)."""
    if ssl_object is None:
        return None
    try:
        version = ssl_object.version()
        cipher = ssl_object.cipher()
        cert = ssl_object.getpeercert() or {}
    except (ValueError, AttributeError, ssl.SSLError):
        return None
    return TlsInfo(
        version=inert_or_none(version, SHORT_MAX),
        cipher=inert_or_none(cipher[0], SHORT_MAX) if cipher else None,
        subject=inert_or_none(_name(cert.get("subject")), CERT_NAME_MAX),
        issuer=inert_or_none(_name(cert.get("issuer")), CERT_NAME_MAX),
        not_after=inert_or_none(cert.get("notAfter"), SHORT_MAX),
        chain=presented_chain(ssl_object),
    )


MAX_CHAIN = 10  # a real chain has 2-4 certificates; a hostile server may send hundreds


def presented_chain(ssl_object: ssl.SSLObject | ssl.SSLSocket) -> tuple[bytes, ...]:
    """The certificates the server presented (DER, leaf first), read from the connection
    that was just verified: doctor tells from them which of the user's clients trusts the
    CA that signed them ("Node clients need NODE_EXTRA_CA_CERTS"). The unverified chain,
    since truststore verifies after OpenSSL's handshake and OpenSSL's "verified" chain can
    then be the leaf alone. Public `get_unverified_chain` from Python 3.13; before that the
    same method of the private `_sslobj` (CPython >= 3.10), whose items are certificate
    objects with `public_bytes`. Nothing of it is trusted or shown; () when unavailable."""
    for owner in (ssl_object, getattr(ssl_object, "_sslobj", None)):
        get = getattr(owner, "get_unverified_chain", None)
        if get is None:
            continue
        try:
            items = list(get() or ())[:MAX_CHAIN]
            import _ssl  # lazy: only its DER constant, for the pre-3.13 certificate objects

            der = getattr(_ssl, "ENCODING_DER", 2)
            return tuple(c if isinstance(c, bytes) else c.public_bytes(der) for c in items)
        except Exception:  # the chain is a bonus for the clients' trust; the check stands
            return ()
    return ()


def _name(rdns: object) -> str | None:
    """ "CN=x, O=y" from getpeercert()'s subject/issuer: a tuple of RDNs of (attr, value)."""
    if not rdns or not isinstance(rdns, (tuple, list)):
        return None
    short = {
        "commonName": "CN",
        "organizationName": "O",
        "organizationalUnitName": "OU",
        "countryName": "C",
        "localityName": "L",
        "stateOrProvinceName": "ST",
    }
    parts = []
    for rdn in rdns:
        for attr, value in rdn:
            parts.append(f"{short.get(attr, attr)}={value}")
    return ", ".join(parts)


def classify_verify_error(exc: ssl.SSLCertVerificationError) -> str:
    """Finding code for a failed verification, from OpenSSL's verify code (not its text)."""
    code = getattr(exc, "verify_code", None)
    if code in _EXPIRED:
        return "tls_expired"
    if code in _HOSTNAME:
        return "tls_hostname_mismatch"
    return "tls_untrusted"


@dataclass(frozen=True)
class PresentedCert:
    """What a server presented, read without trusting it, to explain a failed verification."""

    subject: str | None
    issuer: str | None
    not_after: str | None
    names: tuple[str, ...]


def describe_presented(der: bytes) -> PresentedCert | None:
    """Parse a DER certificate; only its names and dates are used, nothing is trusted."""
    try:
        # lazy: cryptography's x509 costs tens of ms, paid only after a failed verification
        from cryptography import x509
    except ImportError:  # pragma: no cover - cryptography comes with trustme
        return None
    try:
        cert = x509.load_der_x509_certificate(der)
        try:
            san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
            names = tuple(san.value.get_values_for_type(x509.DNSName))
        except x509.ExtensionNotFound:
            names = ()
        after = getattr(cert, "not_valid_after_utc", None) or cert.not_valid_after
        # Names of an untrusted certificate are whatever its maker typed (B45): inert,
        # bounded, and only the first few SAN names.
        return PresentedCert(
            subject=inert_or_none(cert.subject.rfc4514_string(), CERT_NAME_MAX),
            issuer=inert_or_none(cert.issuer.rfc4514_string(), CERT_NAME_MAX),
            not_after=after.strftime("%Y-%m-%d %H:%M:%S UTC"),
            names=tuple(inert(n, CERT_NAME_MAX) for n in names[:MAX_SAN_NAMES]),
        )
    except Exception:
        return None


async def presented_certificate(
    backend: PinnedBackend, host: str, port: int, timeout: float
) -> dict[str, str]:
    """After a failed verification, read (not trust) what the server presented, so the
    user sees e.g. a corporate proxy's issuer name. A fresh connection is made, the
    handshake completes without verification, and it is closed at once: nothing, and
    certainly not the key, is ever sent over it. The caller never attempts it through a
    proxy. Returns the message params (issuer, subject, names, not_after), or {}."""
    peek = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    peek.check_hostname = False
    peek.verify_mode = ssl.CERT_NONE  # read-only look at the certificate; see docstring
    deadline = time.monotonic() + timeout
    try:
        stream = await backend.connect_tcp(host, port, timeout=timeout)
        try:
            remaining = max(deadline - time.monotonic(), 0.0)
            tls = await stream.start_tls(peek, server_hostname=host, timeout=remaining)
            der = tls.get_extra_info("ssl_object").getpeercert(binary_form=True)
            await tls.aclose()
        finally:
            await stream.aclose()
    except Exception:  # the description is a bonus; the finding stands
        return {}
    cert = describe_presented(der) if der else None
    if cert is None:
        return {}
    return {
        "issuer": cert.issuer or "-",
        "subject": cert.subject or "-",
        "names": inert(", ".join(cert.names), 2 * CERT_NAME_MAX) or "-",
        "not_after": cert.not_after or "-",
    }
