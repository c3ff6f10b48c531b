"""The Welcome's offer to move a plain-text API key into the OS keyring (issue 11).

Other tools leave keys in plain text: the bl CLI's ~/.bailian/config.json, the DashScope
SDK's key file, a `.env`, an `export` line in ~/.bashrc. The Welcome looks for them among
the files the clients read (app.clients.environment, judged against the profile the wizard
starts on, off the UI thread) and offers, on one line, what `key import` does: the key
checked on the profile's own hosts, stored in its keyring the way `key set` stores it, and,
only when asked in the dialog, the plain-text copy removed after a 0600 backup. Every step
is app.clients.key_move's, in `key import`'s order; a refused key is not stored. When the
copy IS the profile's key, already stored, only the removal is offered.

The key is never on screen: its masked form (`sk-…a1b2`) and where it is, at most. The
offer and its outcome live in `KeyOffers`, which the Welcome keeps, so a language switch
(which recomposes the step) redraws them instead of losing them.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Checkbox

from app.config.io import load_config
from app.core.errors import Notice, UserError
from app.core.i18n import t
from app.secrets.key import ApiKey
from app.secrets.keyring import KeyringTimeout, run_with_timeout
from app.services import Services
from screens.parts.dialogs import ConfirmDialog
from screens.widgets import MARK_WARN, Prose, gap

if TYPE_CHECKING:  # only the types
    from app.clients.key_sources import Source
    from app.config.schema import Config, Profile
    from app.secrets.stores import KeyStore

T = TypeVar("T")
Line = tuple[str, dict[str, Any]]  # a locale key and its parameters: redrawn per language


@dataclass(frozen=True)
class Offer:
    """One plain-text key to move (or, `removal_only`, a copy of the stored key to remove)."""

    profile: str
    shown: str  # where it is, as the clients reader shows it (HOME as ~)
    masked: str
    source: Source
    key: ApiKey = field(repr=False)  # the key offered: the file must still hold this one
    where: str  # the profile's store, in words
    removal_only: bool = False
    replaces: str | None = None  # the masked key the profile has now, when another


@dataclass
class KeyOffers:
    """What the Welcome offers and what came of it; kept by the screen across recomposes."""

    profile: str | None  # None: nothing to look for (no profile, or the demo)
    scanned: bool = False
    offer: Offer | None = None
    busy: bool = False
    outcome: list[Line] = field(default_factory=list)


class KeyOfferScanned(Message):
    """The search's answer, posted to the Welcome screen (which outlives its widgets)."""

    def __init__(self, offer: Offer | None) -> None:
        super().__init__()
        self.offer = offer


def start_profile(config: Config | None, wanted: str) -> str | None:
    """The profile an offer is for: the one the wizard starts on if it exists, else the
    config's default, else its first; None without a profile (there is nowhere to put it)."""
    names = list(getattr(config, "profiles", {}) or {})
    if not names:
        return None
    if wanted in names:
        return wanted
    default = getattr(config, "default_profile", None)
    return default if default in names else names[0]


# -- finding the key (a thread) --------------------------------------------------------------
def find_offer(services: Services, name: str) -> Offer | None:
    """The first plain-text key `key import` could take for profile `name`, preferring one
    that is not the profile's own; blocking (files, the keyring), so run in a thread."""
    # lazy: the clients reader (catalog, parsers) and the import's steps (~80 ms of
    # imports) load in this thread, not before the Welcome's first paint
    from app import flow
    from app.clients import key_move as km
    from app.clients.environment import stray_keys
    from screens.parts.client_view import client_places

    profile = load_config(services.config_path).profile(name)
    if profile.api_key.store != "keyring":  # `key import` moves keys into the keyring only
        return None
    store = flow.key_store_for(profile, services)
    try:
        stored = run_with_timeout(lambda: store.get(name), services.keyring_timeout)
    except Exception:  # unreadable is unknown here: the key is offered, not compared
        stored = None
    env, cwd, home = client_places(services)
    found = []
    for stray in stray_keys(profile, stored, env=env, cwd=cwd, home=home):
        source = km.source_of(stray, env=env, cwd=cwd, home=home)
        if source is not None and stray.key is not None:
            found.append((stray, source, stray.key))
    if not found:
        return None
    others = [f for f in found if f[0].ours is not True]
    stray, source, key = (others or found)[0]
    replaces = stored.masked() if stored is not None and stray.ours is False else None
    try:
        where = store.location(name)
    except Exception:  # the store's own words are enough
        where = flow.describe_store(store)
    return Offer(
        name, stray.source, stray.masked, source, key, where, removal_only=not others,
        replaces=replaces,
    )  # fmt: skip


def scan(screen: Screen[Any], services: Services, offers: KeyOffers) -> None:
    """Look (again) in a thread worker of `screen`, which gets the answer as a message."""
    name = offers.profile
    if name is None:
        return
    offers.busy = True  # one search or import at a time; the button waits

    def look() -> None:
        try:
            offer = find_offer(services, name)
        except Exception:  # a broken config, an unreadable HOME: nothing to offer
            offer = None
        screen.post_message(KeyOfferScanned(offer))

    screen.run_worker(look, thread=True, group="key-offer-scan", exit_on_error=False)


def deliver(screen: Screen[Any], offers: KeyOffers, message: KeyOfferScanned) -> None:
    """The Welcome's handler of KeyOfferScanned: keep the answer, redraw the line."""
    message.stop()
    offers.offer, offers.scanned, offers.busy = message.offer, True, False
    for view in screen.query(KeyOffer):
        view.redraw()


# -- moving it (an async worker: files and the keyring in threads, bounded) -----------------
@dataclass(frozen=True)
class _Ready:
    found: Any  # app.clients.key_sources.Found
    config: Config
    profile: Profile
    store: KeyStore
    described: str


def _prepare(services: Services, offer: Offer) -> _Ready:
    """`key import`'s steps 1-2: the key read again (the file may have changed since),
    the profile's store a keyring, and a keyring that can keep the key."""
    # lazy: see find_offer
    from app import flow
    from app.clients import key_move as km
    from app.clients.key_sources import read_key
    from screens.parts.client_view import client_places

    env, _cwd, _home = client_places(services)
    found = read_key(offer.source, env)
    described = km.describe(found.source)
    if found.key != offer.key:
        raise UserError("screen_welcome.import_changed", path=offer.shown)
    config = load_config(services.config_path)
    profile = config.profile(offer.profile)
    store = flow.key_store_for(profile, services)
    km.require_keyring_profile(profile, store)
    if offer.removal_only:
        if km.stored(store, profile.name) != found.key:  # not (or no longer) in the store
            raise UserError("screen_welcome.import_not_stored", profile=profile.name)
    else:
        km.require_keyring(services.keyring_probe(), described)
    return _Ready(found, config, profile, store, described)


async def _bounded(services: Services, fn: Callable[[], T]) -> T:
    """A blocking call (files, the keyring) off the UI, given up after the keyring timeout."""
    return await asyncio.to_thread(run_with_timeout, fn, services.keyring_timeout)


def _why(exc: BaseException) -> str:
    """Key-free: a UserError's own message, else only the exception's type (T8)."""
    return exc.message if isinstance(exc, UserError) else type(exc).__name__


async def import_offer(services: Services, offer: Offer, remove: bool) -> list[Line]:
    """`key import` for the offer, in its order; the outcome as lines to show."""
    from app.clients import key_move as km  # lazy: see find_offer

    timeout = {"seconds": f"{services.keyring_timeout:g}"}
    try:
        ready = await _bounded(services, partial(_prepare, services, offer))
    except KeyringTimeout:
        return [("screen_welcome.import_timeout", timeout)]
    except Exception as exc:
        return [("screen_welcome.import_refused", {"reason": _why(exc)})]
    key, profile, path = ready.found.key, ready.profile, services.config_path
    lines: list[Line] = []
    if not offer.removal_only:
        refusal = await _check(services, ready)
        if refusal:
            return refusal
        notes: list[Notice] = []
        store = partial(
            km.store_checked, path, ready.config, profile, ready.store, key,
            described=ready.described, notify=notes.append,
        )  # fmt: skip
        try:
            done = await _bounded(services, store)
        except KeyringTimeout:
            return [("screen_welcome.import_timeout", timeout)]
        except Exception as exc:
            return [("screen_welcome.import_refused", {"reason": _why(exc)})]
        lines.append(
            ("screen_welcome.import_stored", {"masked": key.masked(), "profile": profile.name,
             "where": done.where})
        )  # fmt: skip
        lines += [("screen_welcome.import_note", {"message": n.message}) for n in notes]
        if done.previous is not None and done.previous != key:
            lines.append(("key_import.replaced", {"old": done.previous.masked()}))
    if remove or offer.removal_only:
        lines += await _remove(services, ready)
    else:
        lines.append(("screen_welcome.import_kept", {"path": offer.shown}))
    return lines


async def _check(services: Services, ready: _Ready) -> list[Line]:
    """Step 3, the key on the profile's own hosts (no other region: no consent asked here);
    the refusal's lines, or none when accepted."""
    from app.clients import key_move as km  # lazy: see find_offer
    from app.probe.engine import ProbeOptions  # lazy: the engine (httpx) only for a check

    options = services.probe_options or ProbeOptions()
    options = dataclasses.replace(options, consent_all_regions=False)
    try:
        check = await km.check_key(ready.profile, ready.found.key, options, services.config_path)
    except Exception as exc:  # by type only: an error text may quote a header
        return [("screen_welcome.import_refused", {"reason": type(exc).__name__})]
    if check.verdict == "accepted":
        return []
    verdict = "rejected" if check.verdict == "rejected" else "unverified"
    params = {"profile": ready.profile.name, "source": ready.described}
    lines: list[Line] = [(f"screen_welcome.import_{verdict}", params)]
    for finding in check.findings:
        lines.append(("key_import.finding", {"message": finding.message, "remedy": finding.remedy}))
    return lines


async def _remove(services: Services, ready: _Ready) -> list[Line]:
    """Step 5: the plain-text copy, after a 0600 backup (a project `.env`'s beside our
    config, not beside it); the lines that say what happened, and how to read the key now."""
    from app.clients import key_move as km  # lazy: see find_offer
    from app.config.shell import cli_address  # lazy: only once a copy was removed
    from app.core.invocation import command

    found, path = ready.found, services.config_path
    source = found.source
    try:
        backup = await asyncio.to_thread(km.remove_copy, found, path.parent / "backups")
    except Exception as exc:  # the original is whole
        return [("screen_welcome.import_remove_failed", {"reason": _why(exc)})]
    shown = str(source.real)
    if source.kind == "bl":
        removed: Line = ("key_import.removed_bl", {"path": shown, "config": source.config})
    elif found.whole_file:
        removed = ("key_import.removed_file", {"path": shown})
    else:
        removed = ("key_import.removed_lines", {"path": shown, "var": source.var})
    get = command(
        "key", "get", *cli_address(path, ready.profile.name, ready.config.default_profile)
    )
    return [removed, ("key_import.backup", {"backup": str(backup)}),
            ("key_import.use_hint", {"command": get})]  # fmt: skip


# -- the dialog and the line -----------------------------------------------------------------
class ImportDialog(ConfirmDialog):
    """The confirmation, with the choice to remove the plain-text copy too (off)."""

    DEFAULT_CSS = """
    ImportDialog #import-remove { margin-bottom: 1; }
    """

    def __init__(self, title: str, body: str, yes: str, no: str, option: str) -> None:
        super().__init__(title, body, yes, no, default_yes=False)
        self._option = option
        self.remove_copy = False

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Prose(Text(self._title, style="bold"), id="confirm-title")
            yield Prose(self._body, id="confirm-body", markup=False)
            # One line (a Checkbox never wraps): the file is named in the body above.
            yield Checkbox(self._option, id="import-remove", compact=True)
            with Horizontal():
                yield Button(self._no, id="confirm-no")
                yield Button(self._yes, id="confirm-yes", variant="primary")

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        event.stop()
        self.remove_copy = event.value


class KeyOffer(Vertical):
    """The offer's line and button, then what the import did."""

    DEFAULT_CSS = """
    KeyOffer { height: auto; margin-bottom: 1; }
    KeyOffer > Horizontal { height: auto; }
    KeyOffer #key-offer-outcome { height: auto; }
    """

    def __init__(self, services: Services, offers: KeyOffers, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.services = services
        self.offers = offers

    def compose(self) -> ComposeResult:
        yield Prose("", id="key-offer-text", classes="field-status -warning", markup=False)
        with Horizontal(classes="row"):
            yield Button("", id="key-offer-move", compact=True)
        yield Prose("", id="key-offer-outcome", markup=False)

    def on_mount(self) -> None:
        self.redraw()
        if not self.offers.scanned and not self.offers.busy:
            scan(self.screen, self.services, self.offers)

    def redraw(self) -> None:
        """Everything from `offers`, in the current language: the offer (while there is
        one) and the outcome of the last import (which stays after the key moved)."""
        offer, outcome = self.offers.offer, self.offers.outcome
        self.display = offer is not None or bool(outcome)
        shown = self.query_one("#key-offer-outcome", Prose)
        shown.update("\n".join(t(key, **params) for key, params in outcome))
        shown.display = bool(outcome)
        text = self.query_one("#key-offer-text", Prose)
        button = self.query_one("#key-offer-move", Button)
        text.display = button.display = offer is not None
        if offer is None:
            return
        kind = "copy" if offer.removal_only else "replace" if offer.replaces else "move"
        words = t(
            f"screen_welcome.offer_{kind}", path=offer.shown, masked=offer.masked,
            profile=offer.profile, old=offer.replaces or "",
        )  # fmt: skip
        text.update(Text(f"{MARK_WARN}{gap()}{words}"))
        action = "remove" if offer.removal_only else "move"
        button.label = t(f"screen_welcome.offer_button_{action}")
        button.disabled = self.offers.busy

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id != "key-offer-move":
            return
        event.stop()
        offer = self.offers.offer
        if offer is None or self.offers.busy:
            return
        params = {
            "path": offer.shown, "masked": offer.masked, "profile": offer.profile,
            "where": offer.where, "old": offer.replaces or "",
        }  # fmt: skip
        if offer.removal_only:
            dialog: ConfirmDialog = ConfirmDialog(
                t("screen_welcome.remove_title"), t("screen_welcome.remove_body", **params),
                t("screen_welcome.remove_yes"), t("screen_welcome.remove_no"), default_yes=False,
            )  # fmt: skip
        else:
            body = t("screen_welcome.import_body", **params)
            if offer.replaces:
                body += " " + t("screen_welcome.import_replaces", **params)
            dialog = ImportDialog(
                t("screen_welcome.import_title", **params), body,
                t("screen_welcome.import_yes"), t("screen_welcome.import_no"),
                t("screen_welcome.import_remove", **params),
            )  # fmt: skip

        def answered(yes: bool | None) -> None:
            if yes:
                self._start(offer, getattr(dialog, "remove_copy", False))

        self.app.push_screen(dialog, answered)

    def _start(self, offer: Offer, remove: bool) -> None:
        self.offers.busy = True
        first = "import_removing" if offer.removal_only else "import_checking"
        self.offers.outcome = [(f"screen_welcome.{first}", {"profile": offer.profile})]
        self.redraw()
        screen = self.screen  # this widget may be recomposed meanwhile (a language switch)
        screen.run_worker(
            _run_import(screen, self.services, self.offers, offer, remove),
            group="key-offer", exclusive=True, exit_on_error=False,
        )  # fmt: skip


async def _run_import(
    screen: Screen[Any], services: Services, offers: KeyOffers, offer: Offer, remove: bool
) -> None:
    try:
        outcome = await import_offer(services, offer, remove)
    except Exception as exc:  # a bug: said by type, the offer stays usable
        outcome = [("screen_welcome.import_refused", {"reason": type(exc).__name__})]
    offers.outcome = outcome
    scan(screen, services, offers)  # what is left: a copy of the key now stored, or nothing
    for view in screen.query(KeyOffer):
        view.redraw()
