"""TLS for the simulator: a throwaway CA and one certificate for every production host.

Clients under test keep real hostname verification on (SECURITY.md T14: never verify=False);
they only trust this CA instead of the public ones. The certificate can be made expired or
issued for the wrong host, so the doctor's TLS findings come from a real handshake failure.
"""

from __future__ import annotations

import datetime
import ssl
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from app.core.catalog import Catalog, load_catalog

if TYPE_CHECKING:  # only the type: trustme loads cryptography, slow; only for TLS
    import trustme

CERT_MODES = ("valid", "expired", "wrong_host")
_PLAN_HOSTS_FIXED = ("coding.dashscope.aliyuncs.com", "coding-intl.dashscope.aliyuncs.com")


def production_hosts(catalog: Catalog | None = None) -> list[str]:
    """Names the certificate covers: every region's wildcard, shared, trial and plan host."""
    catalog = catalog or load_catalog()
    names: dict[str, None] = {}
    for region in catalog.regions.values():
        names["*" + region.hosts.workspace.removeprefix("{ws}")] = None
        if region.hosts.shared:
            names[region.hosts.shared] = None
        if region.hosts.trial:
            names[region.hosts.trial] = None
        # Token Plan hosts by name (the wildcard covers them too): the two real ones, and
        # the other regions' labels, which answer IllegalEndpoint after a good handshake.
        names[f"token-plan.{region.id}.maas.aliyuncs.com"] = None
    for host in catalog.plan_hosts:
        if "{" not in host:
            names[host] = None
    for host in _PLAN_HOSTS_FIXED:
        names[host] = None
    names.update(dict.fromkeys(("localhost", "127.0.0.1", "::1")))
    return list(names)


def load_or_create_ca(tls_dir: Path | None) -> trustme.CA:
    """A CA kept in `tls_dir` (ca.pem + ca.key) so users can trust it once across runs."""
    import trustme  # lazy: trustme loads cryptography, slow; only for TLS

    if tls_dir is None:
        return trustme.CA()
    tls_dir.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = tls_dir / "ca.pem", tls_dir / "ca.key"
    if cert_path.exists() and key_path.exists():
        return trustme.CA.from_pem(cert_path.read_bytes(), key_path.read_bytes())
    ca = trustme.CA()
    cert_path.write_bytes(ca.cert_pem.bytes())
    key_path.touch(mode=0o600)
    key_path.write_bytes(ca.private_key_pem.bytes())
    return ca


def write_ca_file(ca: trustme.CA, directory: Path | None) -> Path:
    """The CA certificate as a PEM file, for `--ca-file`, SSL_CERT_FILE and REQUESTS_CA_BUNDLE."""
    if directory is None:
        directory = Path(tempfile.mkdtemp(prefix="modelstudio-sim-"))
    path = directory / "ca.pem"
    if not path.exists():
        path.write_bytes(ca.cert_pem.bytes())
    return path


def server_context(
    ca: trustme.CA, mode: str = "valid", catalog: Catalog | None = None
) -> ssl.SSLContext:
    """A server-side context presenting one certificate for all hosts (HTTP/1.1 only)."""
    if mode not in CERT_MODES:
        raise ValueError(f"unknown cert mode {mode!r} (known: {', '.join(CERT_MODES)})")
    now = datetime.datetime.now(datetime.timezone.utc)
    if mode == "expired":
        leaf = ca.issue_cert(
            *production_hosts(catalog),
            not_before=now - datetime.timedelta(days=60),
            not_after=now - datetime.timedelta(days=1),
        )
    elif mode == "wrong_host":
        leaf = ca.issue_cert("wrong-host.example.test")
    else:
        leaf = ca.issue_cert(*production_hosts(catalog))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_alpn_protocols(["http/1.1"])
    leaf.configure_cert(ctx)
    return ctx
