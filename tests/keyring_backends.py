"""Keyring backends for subprocess tests, named by PYTHON_KEYRING_BACKEND=tests.keyring_backends.X.

keyring instantiates the class by name in the child process, so a test can give the real CLI
a chain or a hostile backend without any patching.
"""

from __future__ import annotations

import base64
import os

from keyring import backend as kb
from keyring.backends import chainer
from keyrings.alt.file import PlaintextKeyring


class ReadOnly(kb.KeyringBackend):
    """A secure-looking backend (priority 5) that cannot store: set raises NotImplementedError."""

    priority = 5  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        raise NotImplementedError("read-only")

    def delete_password(self, service: str, username: str) -> None:
        raise NotImplementedError("read-only")


class ReadOnlyThenPlaintext(chainer.ChainerBackend):
    """The T20 chain: a read-only backend first, then keyrings.alt's plain-text file."""

    backends = (ReadOnly(), PlaintextKeyring())  # type: ignore[assignment]


class OnlyPlaintext(chainer.ChainerBackend):
    """A chain whose only backend is plain text: refused, by name."""

    backends = (PlaintextKeyring(),)  # type: ignore[assignment]


class Hostile(kb.KeyringBackend):
    """Stores nothing; its error text carries the key in hostile forms ($HOSTILE_MODE)."""

    priority = 5  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        mode = os.environ.get("HOSTILE_MODE", "")
        if mode == "systemexit":
            raise SystemExit(0)
        if mode == "keyboard":
            raise KeyboardInterrupt
        blob = base64.b64encode(b"xy" + password.encode() + b"tail").decode()
        text = {
            "long": "x" * 195 + password + "\x1b]52;c;aGk=\x07",
            "repr": f"bad value {password!r}",
            "base64": f"payload={blob}",
        }[mode]
        raise RuntimeError(text)

    def delete_password(self, service: str, username: str) -> None:
        raise NotImplementedError


class CannotDelete(kb.KeyringBackend):
    """Works (in this process's memory) but refuses to delete anything but probe values."""

    priority = 5  # type: ignore[assignment]
    items: dict = {}  # noqa: RUF012

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if not username.startswith("modelstudio-setup-probe-"):
            from keyring.errors import PasswordDeleteError

            raise PasswordDeleteError("this keyring never deletes")
        self.items.pop((service, username), None)


class Memory(kb.KeyringBackend):
    """A working, secure-looking backend (in this process's memory)."""

    priority = 5  # type: ignore[assignment]
    items: dict = {}  # noqa: RUF012

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.items.pop((service, username), None)


class PlaintextThenMemory(chainer.ChainerBackend):
    """Plain text first, a working backend second: the key must go to the second."""

    backends = (PlaintextKeyring(), Memory())  # type: ignore[assignment]
