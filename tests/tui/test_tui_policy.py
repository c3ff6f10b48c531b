"""The team policy in the wizard (Textual Pilot): Welcome shows which file and what it
pins, Scenario preselects and locks a pinned residency with the file's reason,
Recommendation recommends only allowed placements and refuses an override the policy
rules out, and Export refuses a target or a setup outside the policy, writing nothing."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from textual.widgets import Select

from app.config.policy import read_policy
from app.state import WizardState
from app.tui import make_app
from tests.fixtures.tui_connect import export_state, select_targets, services_for
from tests.fixtures.tui_steps import screen_text, settle, step_of, text_of

POLICY = """\
version: 1
team: Payments platform
residency: {allow: outside-mainland, reason: Data must not pass through the mainland.}
regions: {allow: [ap-southeast-1], reason: Our workspace is in Singapore.}
exports: {allow: [dotenv], reason: Only .env files are supported.}
"""


def _services(tmp_path: Path, text: str = POLICY):
    path = tmp_path / "modelstudio-policy.yaml"
    path.write_text(text, encoding="utf-8")
    return dataclasses.replace(services_for(tmp_path), policy=read_policy(path)), path


async def test_welcome_shows_the_policy_file_and_what_it_pins(tmp_path: Path) -> None:
    services, path = _services(tmp_path)
    app = make_app(services, WizardState(lang="en"))
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        banner = str(app.screen.query_one("#policy-title").render())
        assert str(path) in banner and "Payments platform" in banner
        rules = str(app.screen.query_one("#policy-rules").render())
        assert "residency: outside-mainland Reason: Data must not pass through" in rules
        assert "exports: dotenv" in rules


async def test_welcome_without_a_policy_shows_no_banner(tmp_path: Path) -> None:
    app = make_app(services_for(tmp_path), WizardState(lang="en"))
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        assert not app.screen.query("#policy-banner")


async def test_a_pinned_residency_is_preselected_locked_and_explained(tmp_path: Path) -> None:
    services, _ = _services(tmp_path)
    app = make_app(services, WizardState(lang="en"), start_step="scenario")
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        residency = app.screen.query_one("#residency")
        assert residency.disabled
        lock = str(app.screen.query_one("#policy-lock-residency").render())
        assert "Set by the team policy: residency = outside-mainland" in lock
        assert "Data must not pass through the mainland." in lock
        await app.screen.action_next()
        await pilot.pause()
        assert app.state.residency == "outside-mainland"
        assert getattr(app.screen, "STEP", "") == "recommendation"


async def test_recommendation_keeps_to_the_policy_and_refuses_an_override(tmp_path: Path) -> None:
    services, _ = _services(
        tmp_path, "version: 1\nregions: {allow: [eu-central-1], reason: EU only.}\n"
    )
    state = WizardState(lang="en", residency="none", near="americas")
    app = make_app(services, state, start_step="recommendation")
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert screen.rec.region == "eu-central-1"  # not Virginia, the unrestricted answer
        assert "team policy" in " ".join(screen.rec.policy_notes)
        screen.query_one("#region", Select).value = "us-east-1"
        await pilot.pause()
        await screen.action_next()
        await pilot.pause()
        assert getattr(app.screen, "STEP", "") == "recommendation"  # refused: still here
        status = str(app.screen.query_one("#nav-status").render())
        assert "does not allow us-east-1 for regions" in status and "EU only." in status


async def test_recommendation_marks_what_the_policy_rules_out_and_locks_a_pin(
    tmp_path: Path,
) -> None:
    services, _ = _services(
        tmp_path, "version: 1\nregions: {allow: [eu-central-1], reason: EU only.}\n"
    )
    state = WizardState(lang="en", residency="none", near="americas", region="us-east-1")
    app = make_app(services, state, start_step="recommendation")
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        region = app.screen.query_one("#region", Select)
        # A region chosen before the policy gives way to the allowed one, locked.
        assert region.value == "eu-central-1" and region.disabled
        labels = dict((value, label) for label, value in region._options)  # the list shown
        assert "not allowed by the team policy" in labels["us-east-1"]
        assert "not allowed" not in labels["eu-central-1"]
        lock = str(app.screen.query_one("#policy-lock-regions").render())
        assert "regions = eu-central-1" in lock and "EU only." in lock
        await app.screen.action_next()
        await pilot.pause()
        assert getattr(app.screen, "STEP", "") == "workspace"
        assert app.state.region == "eu-central-1"


async def test_export_refuses_a_target_outside_the_policy_and_writes_nothing(
    tmp_path: Path,
) -> None:
    services, _ = _services(tmp_path)
    app = make_app(services, export_state(), start_step="export")
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        await select_targets(pilot, app, "sh")
        await app.screen.action_next()
        await pilot.pause()
        status = str(app.screen.query_one("#nav-status").render())
        assert "the rule exports" in status and "Only .env files are supported." in status
        assert not services.config_path.exists()
        assert not (services.export_dir / "modelstudio.sh").exists()
        assert "sk-" not in screen_text(app).replace("sk-…", "")


async def test_export_writes_a_compliant_setup(tmp_path: Path) -> None:
    services, _ = _services(tmp_path)
    app = make_app(services, export_state(), start_step="export")
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        await select_targets(pilot, app, "dotenv")
        await app.screen.action_next()
        await pilot.pause()
        assert services.config_path.exists()
        assert (services.export_dir / ".env").exists()


async def test_a_new_setup_starts_from_the_pinned_workspace_and_store(tmp_path: Path) -> None:
    services, _ = _services(
        tmp_path,
        "version: 1\nworkspace_id: WS-ABC123\nkey_store: {allow: env, reason: CI only.}\n",
    )
    app = make_app(services, WizardState(lang="en"))
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        await app.screen.action_next()
        await pilot.pause()
        assert getattr(app.screen, "STEP", "") == "scenario"
        assert (app.state.workspace_id, app.state.key_store) == ("ws-abc123", "env")


async def test_the_key_step_refuses_a_store_outside_the_policy_before_storing(
    tmp_path: Path,
) -> None:
    from app.secrets.stores import MemoryStore
    from tests.fixtures.tui_steps import KEY, KEY_STATE

    store = MemoryStore()
    path = tmp_path / "modelstudio-policy.yaml"
    path.write_text(
        "version: 1\nkey_store: {allow: keyring, reason: No key files.}\n", encoding="utf-8"
    )
    services = dataclasses.replace(services_for(tmp_path, store=store), policy=read_policy(path))
    state = dataclasses.replace(KEY_STATE, key_store="file")
    app = make_app(services, state, start_step="apikey")
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        app.screen.query_one("#api-key").value = KEY
        await pilot.pause()  # the field's own change handling first
        await app.screen.action_next()
        await pilot.pause()
        status = str(app.screen.query_one("#nav-status").render())
        assert "does not allow file for key_store" in status and "No key files." in status
        assert getattr(app.screen, "STEP", "") == "apikey"
        assert store.get(state.profile_name) is None  # nothing was stored
        assert KEY not in screen_text(app)


# ------------------------------------------------------------------- the Workspace step
SG = WizardState(lang="en", residency="none", region="ap-southeast-1", scope="international")


def _style_labels(app) -> dict[str, object]:
    from textual.widgets import RadioButton

    return {str(b.label): b for b in app.screen.query_one("#style").query(RadioButton)}


async def test_a_pinned_workspace_and_host_are_filled_in_locked_and_explained(
    tmp_path: Path,
) -> None:
    services, _ = _services(
        tmp_path,
        "version: 1\n"
        "workspace_id: {allow: WS-ABC123, reason: The team's production workspace.}\n"
        "access_domains: {allow: workspace, reason: The SLA is on the workspace domain.}\n",
    )
    app = make_app(services, SG, start_step="workspace")
    async with app.run_test(size=(100, 48)) as pilot:
        await settle(app, pilot)
        field = app.screen.query_one("#workspace-id")
        assert field.value == "ws-abc123" and field.disabled
        lock = text_of(app, "#policy-lock-workspace_id")
        assert "workspace_id = ws-abc123" in lock and "production workspace" in lock
        assert app.screen.query_one("#style").disabled  # one host left: shown, locked
        assert "SLA is on the workspace domain" in text_of(app, "#policy-lock-access_domains")
        labels = _style_labels(app)
        refused = [label for label in labels if "not allowed by the team policy" in label]
        assert refused and all("DashScope" in r or "Trial" in r or "Plan" in r for r in refused)
        assert "ws-abc123.ap-southeast-1.maas.aliyuncs.com" in text_of(app, "#url-preview")
        await app.screen.action_next()
        await settle(app, pilot)
        assert step_of(app) == "apikey"
        assert (app.state.endpoint_style, app.state.workspace_id) == ("workspace", "ws-abc123")


async def test_a_host_the_policy_rules_out_is_marked_said_and_refused_on_next(
    tmp_path: Path,
) -> None:
    services, _ = _services(
        tmp_path,
        "version: 1\naccess_domains: {allow: [workspace, dashscope], reason: No trial keys.}\n"
        "plans: {allow: pay-as-you-go, reason: Pay-as-you-go billing only.}\n",
    )
    app = make_app(services, SG, start_step="workspace")
    async with app.run_test(size=(100, 48)) as pilot:
        await settle(app, pilot)
        assert not app.screen.query_one("#style").disabled  # two hosts left: a choice
        labels = _style_labels(app)
        (trial,) = [b for label, b in labels.items() if label.startswith("Trial")]
        assert "not allowed by the team policy" in str(trial.label)
        plans = [label for label in labels if "host" in label and "plan keys" in label]
        assert plans and all("not allowed by the team policy" in p for p in plans)
        trial.value = True
        await settle(app, pilot)
        said = text_of(app, "#nav-status")
        assert "does not allow trial for access_domains" in said and "No trial keys." in said
        await app.screen.action_next()
        await settle(app, pilot)
        assert step_of(app) == "workspace"  # refused: still here
        assert "No trial keys." in text_of(app, "#nav-status")
        (shared,) = [b for label, b in labels.items() if label.startswith("DashScope")]
        shared.value = True
        await settle(app, pilot)
        await app.screen.action_next()
        await settle(app, pilot)
        assert step_of(app) == "apikey"
        assert app.state.endpoint_style == "shared"


async def test_another_workspace_than_the_teams_is_refused_under_the_field_and_on_next(
    tmp_path: Path,
) -> None:
    services, _ = _services(
        tmp_path,
        "version: 1\nworkspace_id: {allow: [ws-team1, ws-team2], reason: Team workspaces.}\n",
    )
    app = make_app(services, SG, start_step="workspace")
    async with app.run_test(size=(100, 48)) as pilot:
        await settle(app, pilot)
        field = app.screen.query_one("#workspace-id")
        assert not field.disabled  # two workspaces allowed: typed, not pinned
        field.value = "ws-other9"
        await settle(app, pilot)
        status = text_of(app, "#workspace-status")
        assert "ws-other9" in status and "does not allow ws-other9 for workspace_id" in status
        await app.screen.action_next()
        await settle(app, pilot)
        assert step_of(app) == "workspace"
        assert "Team workspaces." in text_of(app, "#nav-status")
        field.value = "ws-team2"
        await settle(app, pilot)
        assert "does not allow" not in text_of(app, "#workspace-status")
        await app.screen.action_next()
        await settle(app, pilot)
        assert step_of(app) == "apikey" and app.state.workspace_id == "ws-team2"


async def test_the_model_list_offers_what_the_policy_allows_and_a_pin_is_locked(
    tmp_path: Path,
) -> None:
    state = dataclasses.replace(SG, workspace_id="ws-abc123", endpoint_style="workspace")
    services, path = _services(
        tmp_path, "version: 1\nmodels: {allow: ['qwen-p*'], reason: Approved models.}\n"
    )
    app = make_app(services, state, start_step="workspace")
    async with app.run_test(size=(100, 48)) as pilot:
        await settle(app, pilot)
        model = app.screen.query_one("#model", Select)
        offered = [value for _label, value in model._options]  # the list the Select shows
        assert offered == ["qwen-plus"]  # of qwen-flash, qwen3.5-flash, qwen-plus
        assert model.value == "qwen-plus" and not model.disabled
    path.write_text(
        "version: 1\nmodels: {allow: qwen3-max, reason: One model for the pilot.}\n",
        encoding="utf-8",
    )
    services = dataclasses.replace(services, policy=read_policy(path))
    app = make_app(services, state, start_step="workspace")
    async with app.run_test(size=(100, 48)) as pilot:
        await settle(app, pilot)
        model = app.screen.query_one("#model", Select)
        assert model.value == "qwen3-max" and model.disabled
        assert "One model for the pilot." in text_of(app, "#policy-lock-models")
        await app.screen.action_next()
        await settle(app, pilot)
        assert step_of(app) == "apikey" and app.state.model == "qwen3-max"


async def test_typing_an_id_does_not_switch_to_a_host_the_policy_rules_out(tmp_path: Path) -> None:
    """Without a policy, an ID typed on the DashScope domain switches to the workspace
    domain (the docs' recommendation); a policy allowing only DashScope keeps it there."""
    services, _ = _services(
        tmp_path, "version: 1\naccess_domains: {allow: dashscope, reason: Shared host only.}\n"
    )
    app = make_app(services, SG, start_step="workspace")
    async with app.run_test(size=(100, 48)) as pilot:
        await settle(app, pilot)
        assert app.screen.style == "shared"  # the only pay-as-you-go host the policy leaves
        app.screen.query_one("#workspace-id").value = "ws-abc123"
        await settle(app, pilot)
        assert app.screen.style == "shared"
