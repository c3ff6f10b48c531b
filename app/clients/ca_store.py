"""Is the CA that signed a presented chain in a client's trust store?

`ca_in_store(choice, chain)` loads the certificates of each source of a StoreChoice
(app.clients.trust_stores) and looks for one that issued a certificate of the chain (name
match and signature check) or is one of them. True: some source holds it; False: every
source was read and none does; None: a source cannot be read from here (the macOS
keychain, another platform's store, Node's bundled roots without certifi), so the answer
is unknown rather than a guess.

Node's and Bun's bundled roots are Mozilla's list, the list certifi ships too: certifi
stands in for them (a corporate CA is in neither). The Linux OS store is the file and
directory OpenSSL was compiled with, as httpcore2 and truststore find them. Certificates
are parsed with cryptography (a dependency already), only when asked, once per file.
"""

from __future__ import annotations

import functools
import os
import ssl
import sys
import warnings
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from app.clients.trust_stores import StoreChoice, StoreSource

if TYPE_CHECKING:  # only types: parsing is done lazily, on a question
    from cryptography.hazmat.primitives.hashes import HashAlgorithm
    from cryptography.x509 import Certificate

MAX_DIR_FILES = 4000  # a CA directory of a distribution holds a few hundred
MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_CHAIN = 10
# httpcore2/_ssl.py CA_FILE_CANDIDATES (truststore's Linux fallbacks).
LINUX_CA_FILES = (
    "/etc/ssl/cert.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/pki/tls/cert.pem",
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/ssl/ca-bundle.pem",
)

Chain = Sequence[bytes] | bytes | str


def ca_in_store(choice: StoreChoice, chain: Chain) -> bool | None:
    """Whether the store of `choice` accepts the CA of `chain` (DER certificates leaf
    first, or PEM text). Verification switched off accepts everything: True."""
    if not choice.verify:
        return True
    certs = parse_chain(chain)
    if not certs:
        return None
    unknown = False
    for source in choice.sources:
        store = load_source(source)
        if store is None:
            unknown = True
            continue
        if _anchors(certs, store):
            return True
    return None if unknown else False


def parse_chain(chain: Chain) -> list[Certificate]:
    """The certificates of a presented chain; unparsable entries are skipped."""
    # lazy: cryptography's x509 costs tens of ms, paid only when a chain is checked
    from cryptography import x509

    if isinstance(chain, (str, bytes)):
        data = chain.encode() if isinstance(chain, str) else chain
        try:
            return list(x509.load_pem_x509_certificates(data))[:MAX_CHAIN]
        except ValueError:
            try:
                return [x509.load_der_x509_certificate(data)]
            except ValueError:
                return []
    found = []
    for der in list(chain)[:MAX_CHAIN]:
        try:
            found.append(x509.load_der_x509_certificate(der))
        except ValueError:
            continue
    return found


def _anchors(chain: Iterable[Certificate], store: Sequence[Certificate]) -> bool:
    # lazy: only reached after a store was loaded (cryptography is already imported then)
    from cryptography.exceptions import InvalidSignature

    by_subject: dict[bytes, list[Certificate]] = {}
    for cert in store:
        by_subject.setdefault(cert.subject.public_bytes(), []).append(cert)
    for cert in chain:
        for candidate in by_subject.get(cert.subject.public_bytes(), []):
            if candidate.fingerprint(_sha256()) == cert.fingerprint(_sha256()):
                return True
        for issuer in by_subject.get(cert.issuer.public_bytes(), []):
            try:
                cert.verify_directly_issued_by(issuer)
            except (InvalidSignature, ValueError, TypeError):
                continue
            return True
    return False


def _sha256() -> HashAlgorithm:
    # lazy: see parse_chain
    from cryptography.hazmat.primitives import hashes

    return hashes.SHA256()


def load_source(source: StoreSource) -> tuple[Certificate, ...] | None:
    """The certificates of one source, or None when they cannot be read from here."""
    if source.kind == "file":
        return _load_file(source.path or "")
    if source.kind == "dir":
        return _load_dir(source.path or "")
    if source.kind in ("certifi", "mozilla"):
        return _load_certifi()
    platform = source.path or sys.platform
    if platform != sys.platform:
        return None  # another machine's store
    if source.kind == "os":
        return _load_os()
    paths = ssl.get_default_verify_paths()
    if source.kind == "os_file":
        return _load_file(paths.openssl_cafile) if os.path.isfile(paths.openssl_cafile) else ()
    if source.kind == "os_dir":
        return _load_dir(paths.openssl_capath) if os.path.isdir(paths.openssl_capath) else ()
    return None


def _load_os() -> tuple[Certificate, ...] | None:
    if sys.platform == "win32":
        return _load_windows()
    if sys.platform == "darwin":
        return None  # the keychain is not a file; truststore asks the OS at handshake time
    paths = ssl.get_default_verify_paths()
    cafile = paths.openssl_cafile if os.path.isfile(paths.openssl_cafile) else None
    capath = paths.openssl_capath if os.path.isdir(paths.openssl_capath) else None
    if not cafile and not capath:
        cafile = next((p for p in LINUX_CA_FILES if os.path.isfile(p)), None)
    certs = list(_load_file(cafile) or ()) if cafile else []
    if capath:
        certs += list(_load_dir(capath) or ())
    return tuple(certs)


def _load_windows() -> tuple[Certificate, ...]:
    # lazy: see parse_chain
    from cryptography import x509

    found = []
    enum = getattr(ssl, "enum_certificates", None)  # Windows only
    for store in ("ROOT", "CA"):
        for der, encoding, _trust in enum(store) if enum else ():
            if encoding == "x509_asn":
                try:
                    found.append(x509.load_der_x509_certificate(der))
                except ValueError:
                    continue
    return tuple(found)


def _load_certifi() -> tuple[Certificate, ...] | None:
    try:
        # lazy: certifi is needed only when a chain is checked against its bundle
        import certifi
    except ImportError:
        return None
    return _load_file(certifi.where())


def _load_file(path: str) -> tuple[Certificate, ...]:
    try:
        stat = os.stat(path)
    except (OSError, ValueError):
        return ()
    return _parse_file(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=64)
def _parse_file(path: str, mtime: int, size: int) -> tuple[Certificate, ...]:
    """Every certificate of a PEM (or DER) file, cached by path, mtime and size."""
    # lazy: see parse_chain
    from cryptography import x509

    if size > MAX_FILE_BYTES:
        return ()
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_FILE_BYTES)
    except OSError:
        return ()
    with warnings.catch_warnings():  # a store's odd certificate is not ours to report
        warnings.simplefilter("ignore")
        try:
            return tuple(x509.load_pem_x509_certificates(data))
        except ValueError:
            pass
        try:
            return (x509.load_der_x509_certificate(data),)
        except ValueError:
            return _pem_blocks(data)


def _pem_blocks(data: bytes) -> tuple[Certificate, ...]:
    """A bundle with a block cryptography refuses: keep the blocks that parse."""
    # lazy: see parse_chain
    from cryptography import x509

    found = []
    marker = b"-----END CERTIFICATE-----"
    for block in data.split(marker)[:-1]:
        start = block.find(b"-----BEGIN CERTIFICATE-----")
        if start < 0:
            continue
        try:
            found.append(x509.load_pem_x509_certificate(block[start:] + marker))
        except ValueError:
            continue
    return tuple(found)


def _load_dir(path: str) -> tuple[Certificate, ...]:
    """A CA directory (OpenSSL hashed names, or any *.pem / *.crt): every file in it."""
    try:
        names = sorted(os.listdir(path))[:MAX_DIR_FILES]
    except (OSError, ValueError):
        return ()
    certs: list[Certificate] = []
    seen: set[str] = set()
    for name in names:
        full = os.path.join(path, name)
        real = os.path.realpath(full)
        if real in seen or not os.path.isfile(real):
            continue
        seen.add(real)
        certs.extend(_load_file(real))
    return tuple(certs)
