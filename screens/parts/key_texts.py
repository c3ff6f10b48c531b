"""The API key step's texts: the masked preview of a typed key, store labels, the keyring verdict.

They are pure functions of the step's state (no widget, no query), so the screen keeps to
wiring widgets and workers, and the texts can be checked without an app. The key is only ever
shown masked here (SECURITY.md T6): a text that is no key says why, never what was typed.
"""

from __future__ import annotations

from rich.text import Text

from app.core.i18n import t
from app.secrets.key import ApiKey, InvalidApiKey
from app.secrets.keyring import KeyringStatus
from app.state import WizardState
from screens.parts.plan_offer import shape_notices
from screens.widgets import MARK_FAIL, MARK_OK, MARK_WARN, gap


def short_backend(name: str) -> str:
    """`keyring.backends.SecretService.Keyring` -> `SecretService.Keyring` (fits a label)."""
    return ".".join(name.split(".")[-2:]) if name.startswith("keyring.backends.") else name


def key_check(raw: str, known_key: ApiKey | None, state: WizardState) -> tuple[Text, str]:
    """The masked preview (or the reason the text is no key) and its status class."""
    if not raw:
        if known_key is not None:
            # The kept key gets the same shape checks as a typed one (QA B40: the plan-key
            # warning vanished after F2 or on coming back to this step).
            using = t("screen_apikey.using", masked=known_key.masked())
            kept = [f"{MARK_OK}{gap()}{using}"]
            shown = shape_notices(known_key.notices(), state)
            kept += [f"{MARK_WARN}{gap()}{n.message}" for n in shown]
            return Text("\n".join(kept)), "-warning" if len(kept) > 1 else "-valid"
        return Text(t("screen_apikey.type_key")), ""
    try:
        key, notices = ApiKey.parse(raw)
    except InvalidApiKey as exc:
        return Text(f"{MARK_FAIL}{gap()}{exc.message}"), "-invalid"
    lines = [f"{MARK_OK}{gap()}{t('screen_apikey.masked', masked=key.masked())}"]
    said = shape_notices(notices, state)
    lines += [f"{MARK_WARN}{gap()}{n.message}" for n in said]
    return Text("\n".join(lines)), "-warning" if said else "-valid"


def store_label(
    kind: str, state: WizardState, keyring: KeyringStatus | None, problem: str | None
) -> str:
    """The radio label of one key store; the keyring's says what the probe found so far."""
    if kind == "keyring":
        if state.demo:
            return t("screen_apikey.store_keyring_demo")
        if keyring is not None and keyring.available:
            return t("screen_apikey.store_keyring", backend=short_backend(keyring.backend))
        if keyring is not None or problem:
            return t("screen_apikey.store_keyring_unavailable")
        return t("screen_apikey.store_keyring_checking")
    if kind == "env":
        return t("screen_apikey.store_env", var=state.key_env)
    return t("screen_apikey.store_file")


def keyring_verdict(
    state: WizardState, keyring: KeyringStatus | None, problem: str | None
) -> Text | str:
    """The probe's verdict under the store choice; empty in the demo, which never uses the
    OS keyring (the store's note says where the key goes instead)."""
    if state.demo:
        return ""
    if keyring is not None and keyring.available:
        ok = t("screen_apikey.keyring_ok", backend=keyring.backend)
        return Text(f"{MARK_OK}{gap()}{ok}")
    why = problem or (keyring.message() if keyring else "")
    bad = t("screen_apikey.keyring_bad", why=why)
    return Text(f"{MARK_FAIL}{gap()}{bad}")
