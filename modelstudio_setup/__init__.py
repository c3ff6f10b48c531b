"""The one import name that installing modelstudio-setup adds to a Python environment.

The repository keeps the design card's top-level folders (`app/`, `screens/`, `assets/`),
but those names are generic: installed as top-level packages they break, and are broken by,
any other `app` in the same environment (PyPI's `app`, a user's FastAPI-style project
installed editable). So the wheel ships them inside `modelstudio_setup/_private/`, and only
this entry point puts that folder on `sys.path`, in our own process. Everyone else's
`import app` still finds their own package. In a checkout (editable install, `uv run`) there
is no `_private/` folder and the packages are imported from the repository root as before.
"""

from __future__ import annotations

import sys
from pathlib import Path

_PRIVATE = Path(__file__).resolve().with_name("_private")
_OURS = ("app", "screens", "assets")


def use_private_packages() -> None:
    """Make `app`, `screens` and `assets` resolve to the copies shipped in this wheel."""
    if not _PRIVATE.is_dir():
        return  # a checkout: the repository root is already on sys.path
    private = str(_PRIVATE)
    if private in sys.path:
        sys.path.remove(private)
    sys.path.insert(0, private)
    for name in _OURS:  # a foreign package of the same name imported before us (sitecustomize)
        module = sys.modules.get(name)
        if module is not None and not str(getattr(module, "__file__", "")).startswith(private):
            for key in [k for k in sys.modules if k == name or k.startswith(name + ".")]:
                del sys.modules[key]


def main() -> int:
    """The console script `modelstudio-setup`."""
    use_private_packages()
    from app.cli import main as cli_main

    return cli_main()
