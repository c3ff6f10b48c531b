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

import os
import sys

# os.path, not pathlib: this runs first in every command, `--version` included (<= 2 x
# `python -c pass`), and importing pathlib alone costs about a third of that.
_PRIVATE = os.path.join(os.path.dirname(os.path.realpath(__file__)), "_private")
_OURS = ("app", "screens", "assets")


def use_private_packages() -> None:
    """Make `app`, `screens` and `assets` resolve to the copies shipped in this wheel."""
    if not os.path.isdir(_PRIVATE):
        return  # a checkout: the repository root is already on sys.path
    private = _PRIVATE
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
    if sys.argv[1:] == ["--version"]:
        # The one answer that needs no parser, no locale file and no config: shells and
        # tools probe it (budget: 2 x `python -c pass`). Any other spelling (`--lang zh
        # --version`, an abbreviation) goes through argparse and prints the same line.
        from app import __version__

        print(f"modelstudio-setup {__version__}")
        return 0
    from app.cli import main as cli_main

    return cli_main()
