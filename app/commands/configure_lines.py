"""What `configure` says about the profile it saved: region, scope, endpoint, URLs, model,
residency, and where the key now is (masked). Its own module so that configure.py keeps to
the steps of the command (validate, pick the store, write, tell)."""

from __future__ import annotations

import sys

from app.config.schema import Profile
from app.config.shell import plan_label
from app.core.catalog import Catalog
from app.core.i18n import get_language, t
from app.secrets.key import ApiKey
from app.secrets.stores import FileStore, KeyRef, KeyringStore, KeyStore


def print_profile(profile: Profile, catalog: Catalog) -> None:
    """The saved profile's region, scope, endpoint, URLs, model and residency."""
    out = sys.stdout
    lang = get_language()
    reg = catalog.regions[profile.region]
    print(t("configure.line_region", region=profile.region, name=reg.name.get(lang)), file=out)
    scope = catalog.scopes[profile.scope]
    print(t("configure.line_scope", scope=profile.scope, name=scope.name.get(lang)), file=out)
    if profile.plan is not None:
        plan = plan_label(profile, catalog)
        print(t("configure.line_endpoint_plan", plan=plan, host=profile.host), file=out)
    elif profile.workspace_id:
        print(t("configure.line_endpoint_ws", ws=profile.workspace_id), file=out)
    else:
        print(t("configure.line_endpoint_shared", host=profile.host), file=out)
    for surface, url in profile.base_urls.items():
        print(t("configure.line_url", surface=surface, url=url), file=out)
    print(t("configure.line_model", model=profile.model), file=out)
    if profile.residency:
        print(t("configure.line_residency", residency=profile.residency), file=out)


def key_line(store: KeyStore, name: str, key: ApiKey | None, ref: KeyRef) -> str:
    """Where the key now is (masked), or for the env store whether the variable is set."""
    if store.kind == "env":
        state = (
            t("configure.key_state_set", masked=key.masked())
            if key is not None
            else t("configure.key_state_unset")
        )
        return t("configure.line_key_env", var=ref.env, state=state)
    if isinstance(store, FileStore):
        where = t("configure.plain_text", path=str(store.path_for(name)))
    elif isinstance(store, KeyringStore):
        location = t(
            "configure.keyring_where",
            backend=store.describe(),
            service=store.service,
            user=store.user(name),
        )
        where = t("configure.stored_in", where=location)
    else:
        where = t("configure.stored_in", where=store.describe())
    masked = key.masked() if key is not None else ""
    return t("configure.line_key", masked=masked, where=where)
