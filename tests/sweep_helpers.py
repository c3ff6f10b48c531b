"""Helpers for the cross-cutting security sweeps (tests/test_sweep_*.py).

The sweeps look for the API key in every form a careless line of code could produce: the raw
text, any 12-character piece of it (a truncated repr), its base64 at every byte alignment
(an `Authorization: Basic` header, a JSON blob), its URL encodings and its JSON escaping.
The key used is deliberately full of characters that those encodings change (`+ / = %`), so
each form is a different string and a leak in any of them is caught.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path
from urllib.parse import quote, quote_plus

from app.profiles import Config, atomic_write, make_profile
from app.secrets import KeyRef
from app.simulator import Simulator
from app.simulator_accounts import Account, default_accounts, fake_workspace_id

# Distinctive keys the simulator knows (plus one it does not): printable ASCII, no spaces,
# and full of characters that base64 / URL / JSON encodings rewrite.
SWEEP_KEY = "sk-SWEEP+leak/7e3Q=x%41~Z9kR2vT8pLm"
OTHER_REGION_KEY = "sk-OTHER+region/Bj9=q%7~Tm4wX2cN"
OTHER_WS_KEY = "sk-OTHER+wsp/Rr5=k%3~Yq8eH1vD6sA"
PLAN_KEY = "sk-sp-PLAN+key/Vq2=n%5~Hx7bJ3mK9"
ARREARS_KEY = "sk-ARREARS+k/Pz4=w%8~Lc6dF2gN7"
UNKNOWN_KEY = "sk-UNKNOWN+k/Ee1=t%9~Ua3yG5hQ0z"
ENV_OTHER_KEY = "sk-ENVVAR+k/Oo7=r%2~Wi9uE4tR3y"
ALL_KEYS = (
    SWEEP_KEY,
    OTHER_REGION_KEY,
    OTHER_WS_KEY,
    PLAN_KEY,
    ARREARS_KEY,
    UNKNOWN_KEY,
    ENV_OTHER_KEY,
)
REGION = "ap-southeast-1"
SWEEP_WS = fake_workspace_id("sweep")
WINDOW = 12  # a piece this long of a key's secret part is a leak; the masked tail is 4


def sweep_accounts() -> list[Account]:
    """The simulator's default accounts plus the sweep's distinctive ones."""
    return [
        *default_accounts(),
        Account("sweep", SWEEP_KEY, REGION, SWEEP_WS),
        Account("sweep-beijing", OTHER_REGION_KEY, "cn-beijing", fake_workspace_id("sw-bj")),
        Account("sweep-otherws", OTHER_WS_KEY, REGION, fake_workspace_id("sw-ws")),
        Account("sweep-plan", PLAN_KEY, REGION, fake_workspace_id("sw-plan"), plan="coding-plan"),
        Account("sweep-arrears", ARREARS_KEY, REGION, fake_workspace_id("sw-arr"), arrears=True),
    ]


@contextlib.contextmanager
def sweep_simulator(ca: object) -> Iterator[Simulator]:
    sim = Simulator(sweep_accounts(), ca=ca).start_in_thread()  # type: ignore[arg-type]
    try:
        yield sim
    finally:
        sim.stop_thread()
    assert not sim.errors, f"simulator internal errors: {sim.errors}"


# ------------------------------------------------------------------------------ leak search
def _b64_needles(secret: bytes) -> list[str]:
    """The part of base64(... + secret + ...) that depends only on the secret, for each of
    the three byte alignments the secret can have inside a larger blob."""
    out = []
    for shift in range(3):
        enc = base64.b64encode(b"\0" * shift + secret).decode()
        start = 4 if shift else 0
        end = len(enc) if (shift + len(secret)) % 3 == 0 else len(enc) - 4
        middle = enc[start:end]
        if len(middle) >= 8:
            out += [middle, middle.replace("+", "-").replace("/", "_")]
    return out


def needles(key: str) -> dict[str, str]:
    """Every form of `key` that must never appear: name -> text."""
    forms = {
        "raw": key,
        "url-quote": quote(key, safe=""),
        "url-quote-plus": quote_plus(key),
        "url-quote-path": quote(key),
        "json": json.dumps(key)[1:-1],
    }
    for i, b64 in enumerate(_b64_needles(key.encode())):
        forms[f"base64-{i}"] = b64
    secret = key.removeprefix("sk-sp-").removeprefix("sk-")
    for i in range(len(secret) - WINDOW + 1):
        forms[f"piece@{i}"] = secret[i : i + WINDOW]
    return forms


def leaks(text: str | bytes, keys: Iterable[str] = ALL_KEYS) -> list[str]:
    """Which forms of which keys occur in `text` (bytes are searched as latin-1 too)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace") + "\n" + text.decode("latin-1")
    found = []
    for key in keys:
        for name, needle in needles(key).items():
            if needle in text:
                found.append(f"{key[:6]}…:{name}")
                break
    return found


def assert_no_leak(where: str, text: str | bytes, keys: Iterable[str] = ALL_KEYS) -> None:
    found = leaks(text, keys)
    assert not found, f"API key leaked in {where}: {found}"


def tree_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink())


def scan_tree(
    root: Path, allowed: Iterable[Path] = (), keys: Iterable[str] = ALL_KEYS
) -> dict[str, list[str]]:
    """Leaks in every file under `root`, except `allowed` files (which must be 0600)."""
    allowed_set = {Path(p).resolve() for p in allowed}
    problems: dict[str, list[str]] = {}
    for path in tree_files(root):
        if path.resolve() in allowed_set:
            mode = stat.S_IMODE(path.stat().st_mode)
            if mode != 0o600:
                problems[str(path)] = [f"mode {mode:04o}, expected 0600"]
            continue
        found = leaks(path.read_bytes(), keys)
        if found:
            problems[str(path)] = found
    return problems


# ------------------------------------------------------------------------- "nothing written"
def tree_state(*roots: Path) -> dict[str, tuple[int, int, int]]:
    """(mtime_ns, size, mode) of every file and the mode of every directory under the roots:
    compare before/after a run.

    `<config>.lock` files are left out: `configure` takes an flock on one before reading the
    config, and a lock file is deliberately never deleted (deleting it would race with the
    next run); it is empty and 0600. Directory mtimes are left out for the same reason.
    """
    state: dict[str, tuple[int, int, int]] = {}
    for root in roots:
        if not root.exists():
            continue
        for p in [root, *root.rglob("*")]:
            if p.name.endswith(".lock"):
                continue
            st = os.lstat(p)
            if stat.S_ISDIR(st.st_mode):
                state[str(p)] = (0, 0, st.st_mode)
            else:
                state[str(p)] = (st.st_mtime_ns, st.st_size, st.st_mode)
    return state


# ------------------------------------------------------------------------------- configs
def write_config(
    path: Path,
    *,
    workspace_id: str | None = SWEEP_WS,
    store: str = "file",
    env: str = "DASHSCOPE_API_KEY",
    model: str = "qwen-plus",
    region: str = REGION,
) -> Path:
    """A valid one-profile config (profile `default`), written like the tool writes it."""
    profile, _ = make_profile(
        "default",
        region=region,
        endpoint_style="workspace" if workspace_id else "shared",
        workspace_id=workspace_id,
        model=model,
        api_key=KeyRef(store=store, env=env),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, Config().with_profile(profile, make_default=True).dump())
    return path


def exception_chain(exc: BaseException) -> list[BaseException]:
    """The exception, its causes and contexts (suppressed ones too)."""
    chain: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo:
        e = todo.pop()
        if e is None or any(e is seen for seen in chain):
            continue
        chain.append(e)
        todo += [e.__cause__, e.__context__]
    return chain
