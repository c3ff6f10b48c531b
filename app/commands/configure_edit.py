"""`configure --profile P --model M`: change some fields of an existing profile (QA D19).

The form every remedy prints (`configure --profile P --model M [--config C]`) needs no
region, no workspace ID and no key: the fields given replace the profile's, the rest and
the key reference are kept (app.config.edit), the result is validated like a new profile,
and the output says exactly what changed. The key is neither read nor written.

app.commands.configure dispatches here; this module never imports it back (what both
forms need lives here, in app.config.shell or in app.config.validate).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.config.edit import Edit, edit_profile
from app.config.io import load_config, modify_config
from app.config.policy import Policy
from app.config.policy_rules import refuse_profile
from app.config.schema import Config, Profile
from app.config.shell import cli_address, model_notices, next_line, print_notices
from app.config.validate import require_scope_choice
from app.core.catalog import Catalog
from app.core.endpoints import STYLE_OF_ACCESS_DOMAIN
from app.core.errors import Notice, UserError
from app.core.i18n import t
from app.core.invocation import command
from app.secrets.key import ApiKey
from app.secrets.stores import store_for

# Notices that mean "this profile does not keep the residency asked for": `--strict` (for
# scripts that must not break residency) refuses them instead of saving with a warning.
RESIDENCY_NOTICES = ("profiles.residency_mismatch", "profiles.model_other_scope")


def refuse_if_strict(args: argparse.Namespace, notices: list[Notice]) -> None:
    """With --strict, a residency-breaking notice is an error (exit 2, nothing written)."""
    if not getattr(args, "strict", False):
        return
    breaking = [n for n in notices if n.key in RESIDENCY_NOTICES]
    if breaking:
        raise UserError("configure.strict_refused", reason=" ".join(n.message for n in breaking))


def plan_region(
    args: argparse.Namespace, catalog: Catalog, existing_plan: str | None = None
) -> str | None:
    """The profile's region with --plan: --plan-region (or --region; both must agree). A
    plan profile's region is its plan region, whose plan host the key is accepted by.
    `existing_plan`: the plan of the profile this run edits, which --plan need not repeat."""
    given = getattr(args, "plan_region", None)
    if given is None:
        return args.region
    if getattr(args, "plan", None) is None and existing_plan is None:
        raise UserError("configure.plan_region_without_plan")
    if args.region is not None and args.region != given:
        raise UserError("configure.plan_region_conflict", region=args.region, plan_region=given)
    return given


def edition_region(args: argparse.Namespace, catalog: Catalog) -> str | None:
    """A new profile's region when only the plan edition says it: the Token Plan Personal
    edition exists in one region (Singapore), so `--plan token --plan-edition personal` needs
    no --plan-region. None where the edition leaves a choice."""
    plan, edition = getattr(args, "plan", None), getattr(args, "plan_edition", None)
    if plan not in catalog.plans or edition is None:
        return None
    regions = catalog.plans[plan].editions.get(edition, ())
    return regions[0] if len(regions) == 1 else None


def plan_notices(profile: Profile, key: ApiKey | None, catalog: Catalog) -> list[Notice]:
    """The plan rules where the key is configured, and a key of the other kind."""
    out: list[Notice] = []  # (a plan key on a pay-as-you-go profile: ApiKey.parse says so)
    if profile.plan is None:
        return out
    if key is not None and not key.is_plan_key:
        out.append(Notice("profiles.payg_key_on_plan"))
    out.append(Notice("profiles.plan_rules"))
    if profile.plan == "coding":
        out.append(Notice("profiles.coding_main_account"))
    if profile.plan == "token":
        # RAM users need the plan's own policies (official); the Team edition also BSS read.
        team = profile.plan_edition in (None, "team")
        out.append(Notice("profiles.token_ram_team" if team else "profiles.token_ram"))
        editions = catalog.plan("token").editions.items()
        here = [edition for edition, regions in editions if profile.region in regions]
        if profile.plan_edition is None and len(here) > 1:
            out.append(Notice("profiles.token_edition_unsaid", region=profile.region))
    return out


def _styles_given(args: argparse.Namespace) -> dict[str, str]:
    """The host style each of the three flags that name one asks for (flag -> style)."""
    given: dict[str, str] = {}
    domain: str | None = getattr(args, "access_domain", None)
    if domain is not None:
        given[f"--access-domain {domain}"] = STYLE_OF_ACCESS_DOMAIN[domain]
    style: str | None = getattr(args, "endpoint_style", None)
    if style is not None:
        given[f"--endpoint-style {style}"] = style
    if getattr(args, "shared_host", False):
        given["--shared-host"] = "shared"
    return given


def style_given(args: argparse.Namespace) -> bool:
    """Whether a flag of this run names the host style (an edit then changes it)."""
    return bool(_styles_given(args)) or getattr(args, "plan", None) is not None


def endpoint_style(args: argparse.Namespace) -> str:
    """--access-domain, --endpoint-style (its older name) and --shared-host say the same
    thing and must not disagree; --plan is a plan host, none of the three. Without any of
    them: the workspace domain (the recommended one; trial is never a default)."""
    given = _styles_given(args)
    if getattr(args, "plan", None) is not None:
        if given or args.workspace_id is not None:
            raise UserError("configure.plan_conflict")
        return "plan"
    styles = set(given.values())
    if len(styles) > 1:
        raise UserError("configure.style_conflict", given=", ".join(given))
    return styles.pop() if styles else "workspace"


def editing_existing(args: argparse.Namespace, path: Path, name: str, catalog: Catalog) -> bool:
    """True when this run edits profile `name`: it exists and no key input or store is given.

    Without --region the profile must exist: the config is then loaded strictly, so a
    broken file is reported as such rather than as "--region is needed".
    """
    if args.api_key_stdin or args.api_key_env is not None or args.store is not None:
        return False
    if args.region is None:
        return name in load_config(path, catalog).profiles
    try:
        return name in load_config(path, catalog).profiles
    except Exception:  # a broken file is repaired by a full configure, not edited
        return False


def region_missing(args: argparse.Namespace, path: Path, name: str, catalog: Catalog) -> UserError:
    """Why --region is needed here: a new profile, or a key given for an existing one."""
    try:
        exists = name in load_config(path, catalog).profiles
    except UserError:
        exists = False
    if not exists:
        return UserError("configure.region_required", profile=name, path=str(path))

    suffix = cli_address(path, name, None)
    return UserError(
        "configure.region_required_with_key",
        profile=name,
        key_set=command("key", "set", *suffix),
    )


def run_edit(
    args: argparse.Namespace, path: Path, name: str, catalog: Catalog, policy: Policy | None = None
) -> int:
    given_style = endpoint_style(args) if style_given(args) else None
    edit = Edit(
        plan=args.plan,
        plan_edition=args.plan_edition,
        region=args.region,
        scope=args.scope,
        endpoint_style=given_style,
        workspace_id=args.workspace_id,
        model=args.model,
        residency=args.residency,
    )
    old = load_config(path, catalog).profiles[name]
    result = edit_profile(old, edit, catalog)
    refuse_if_strict(args, list(result.notices))
    refuse_profile(policy, result.profile)  # the edited profile keeps to the team policy
    if result.profile.region != old.region and args.scope is None:
        require_scope_choice(result.profile.region, None, edit.residency, catalog)
    config = load_config(path, catalog)
    makes_default = bool(args.default) and config.default_profile != name
    if not result.changed and not makes_default:
        print_notices(result.notices)
        print(t("configure.edit_nothing", profile=name, path=str(path)))
        return 0

    def change(current: Config) -> Config:
        # Applied again to the file as it is under the lock (another run may have written).
        fresh = edit_profile(current.profile(name), edit, catalog)
        return current.with_profile(fresh.profile, make_default=args.default)

    new_config, write = modify_config(path, change, catalog=catalog)
    profile = new_config.profiles[name]
    plan_changed = (profile.plan, profile.plan_edition) != (old.plan, old.plan_edition)
    plan_rules = plan_notices(profile, None, catalog) if plan_changed else []
    print_notices([*result.notices, *plan_rules, *model_notices(profile, path, catalog)])
    print_notices(write.notices)
    out = sys.stdout
    print(t("configure.edit_saved", profile=name, path=str(write.path)), file=out)
    for field, before, after in result.changed:
        print(t("configure.edit_line", field=field, old=before, new=after), file=out)
    if profile.base_urls != old.base_urls:
        for surface, url in profile.base_urls.items():
            print(t("configure.line_url", surface=surface, url=url), file=out)
    if makes_default:
        print(t("profiles.new_default", name=name), file=out)
    print(t("configure.edit_key_kept", where=_key_location(profile, path)), file=out)
    print(next_line(path, name, new_config.default_profile), file=out)
    return 0


def _key_location(profile: Profile, path: Path) -> str:
    """Where the (untouched) key is, without opening the store."""
    return store_for(profile.api_key, path.parent).location(profile.name)
