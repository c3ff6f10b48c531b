"""Step 3, Workspace: the workspace ID, the access domain, and the base URLs as they will be
written.

The access domains a region has (workspace, DashScope, trial: MODEL_STUDIO.md section 2) are
offered with their guarantees (who they accept, timeout, protocols, rate limits, SLA) from
app.core.access_advice; the trial domain is last, never preselected, and says "not for
production".

A region with plan hosts (Beijing, Singapore) offers them beside its access domains: an
`sk-sp-` plan key works only there (Coding Plan, Token Plan), and the user may choose one
before having a key at hand. A plan host takes no workspace ID, serves the plan's own models,
and has no DashScope native surface; in Singapore the Token Plan edition is asked (Personal or
Team, or not said).

The workspace ID becomes part of the host name that receives the API key, so it is validated
on every keystroke by app.core.endpoints (the one place URLs are built) and the reason for a refusal
is shown right under the field. The three base URLs are previewed live, exactly as Export
will write them; the user sees the normalised ID, not what they pasted.

A team policy (app.config.policy) shapes the step: a pinned workspace ID, host or model is
filled in and locked with the file's reason; a host the policy rules out is marked so, and
Next refuses it, or an ID or a model outside the policy, with the same check Export makes.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import HorizontalScroll
from textual.widgets import Input, RadioButton, RadioSet, Select, Static

from app.config.policy_rules import allowed_models
from app.core.access_advice import DomainOption, PlanOption, domain_options, plan_options
from app.core.catalog import Region, load_catalog
from app.core.endpoints import EndpointError, InvalidWorkspaceId, WorkspaceId, base_urls
from app.core.i18n import t
from app.core.text import looks_like_key
from app.services import Services
from app.state import WizardState, with_plan, without_plan
from screens.base import StepScreen
from screens.parts.choices import ChoiceRadioSet, MarkedRadioButton
from screens.parts.plan_hosts import (
    EDITION_CHOICES,
    PLAN_PREFIX,
    edition_choice,
    read_in_step,
    style_of_host,
)
from screens.parts.policy_banner import locked_line, setup_refusal
from screens.parts.workspace_view import (
    DOMAIN_OF_STYLE,
    WorkspaceIdValidator,
    domain_text,
    style_refusals,
    url_preview,
    valid_id_status,
)
from screens.widgets import MARK_FAIL, MARK_OK, MARK_WARN, CopyLine, Prose, gap

# The policy rules this step's choices decide (checked on Next as Export checks them).
STEP_RULES = ("access_domains", "plans", "workspace_id", "models")


class WorkspaceScreen(StepScreen):
    STEP = "workspace"
    FOCUS: ClassVar[str | None] = "#workspace-id"

    def __init__(self, state: WizardState, services: Services) -> None:
        super().__init__(state, services)
        self._key_refused = False  # a pasted key was cleared from the field
        self._picked: str | None = None  # a pasted domain / plan host chose the style: said
        self.catalog = load_catalog()
        region_id = state.region or "ap-southeast-1"
        self.region_info: Region = self.catalog.regions[region_id]
        self.scope = (
            state.scope if state.scope in self.region_info.scopes else self.region_info.scopes[0]
        )
        # The region's access domains, workspace first, trial (if any) last.
        self.domains: dict[str, DomainOption] = {
            d.id: d for d in domain_options(self.region_info.id, state.lang, self.catalog)
        }
        self.plans: dict[str, PlanOption] = {
            p.plan: p for p in plan_options(self.region_info.id, state.lang, self.catalog)
        }
        self.domain_styles = tuple(s for s, d in DOMAIN_OF_STYLE.items() if d in self.domains)
        self.domain_styles += tuple(PLAN_PREFIX + p for p in self.plans)
        self.edition = state.plan_edition or ""
        if state.endpoint_style == "plan" and state.plan in self.plans:
            self.style = PLAN_PREFIX + state.plan
        elif not self.region_info.has_shared_host:
            self.style = "workspace"
        elif state.workspace_id or state.endpoint_style in ("shared", "trial"):
            self.style = (
                state.endpoint_style if state.endpoint_style in self.domain_styles else "workspace"
            )
        else:
            # No ID yet: the shared host works without one; typing an ID switches to the
            # workspace host (the one the docs recommend) unless the user picked a style.
            self.style = "shared"
        self._style_chosen = bool(state.workspace_id) or self.plan is not None
        # The team policy: the hosts it rules out (marked, refused on Next); with one host
        # left, that host, locked.
        self.policy = services.policy
        self.refused = style_refusals(self.policy, self.domain_styles)
        allowed = [s for s in self.domain_styles if s not in self.refused]
        if self.style in self.refused and allowed:
            self.style = allowed[0]
        self.style_locked = len(allowed) == 1
        self.pinned_id = self.policy.pinned("workspace_id") if self.policy else None
        # The model chosen before (typed elsewhere, e.g. configure) stays unless a team
        # policy's model list leaves it out; else the first one offered.
        models = self._models()
        chosen = self.state.model
        unruled = self.policy is None or self.policy.rule("models") is None
        self.model = chosen if chosen and (unruled or chosen in models) else models[0]

    @property
    def plan(self) -> PlanOption | None:
        """The plan host chosen, None on a pay-as-you-go access domain."""
        if not self.style.startswith(PLAN_PREFIX):
            return None
        return self.plans[self.style.removeprefix(PLAN_PREFIX)]

    def _models(self) -> list[str]:
        """The models offered: a plan's own list on its host, else the scope's ping models;
        of those, what the team policy allows (a pinned model alone)."""
        plan = self.plan
        known = plan.models if plan is not None else self.catalog.ping_models(self.scope)
        return list(allowed_models(self.policy, known))

    def _style_label(self, style: str) -> str:
        if style.startswith(PLAN_PREFIX):
            plan = self.plans[style.removeprefix(PLAN_PREFIX)]
            label = t("screen_workspace.style_plan", plan=plan.name, host=plan.host)
        else:
            host = self.domains[DOMAIN_OF_STYLE[style]].host
            label = t(f"screen_workspace.style_{style}", host=host)
        return label + (t("policy.not_allowed_mark") if style in self.refused else "")

    def missing_message(self) -> str:
        key = (
            "endpoints.workspace_required"
            if not self.region_info.has_shared_host
            else ("endpoints.workspace_missing")
        )
        return t(key, region=self.region_info.id, console=self.region_info.console_workspaces)

    def read_id(self, raw: str) -> WorkspaceId:
        """The ID of what is typed: an ID, or the console's API Host of this region (a host of
        another region is refused, naming both; the wizard does not move regions here). A
        DashScope / trial / plan host of this region raises with the style it names (see
        _pick_pasted_host); one of another region says where to change the region."""
        return read_in_step(raw, self.region_info.id, self.catalog, self.state.lang)

    # -- layout -------------------------------------------------------------------------------
    def compose_step(self) -> ComposeResult:
        # The console link and the ID field first: the step opens at its top with the
        # focused field on screen at 80x24 (E25: it opened scrolled past its first lines).
        lang = self.state.lang
        region, scope = self.region_info, self.catalog.scopes[self.scope]
        yield Prose(
            Text(t("screen_workspace.where", region=region.name.get(lang))),
            id="console-link",
            classes="tight",
        )
        yield CopyLine(region.console_workspaces, id="console-url")
        yield Prose(t("screen_workspace.id_label"), classes="field-label tight")
        workspace = Input(
            self.pinned_id or self.state.workspace_id or "",
            placeholder="ws-g3ganedl8go5vc5i",
            validators=[WorkspaceIdValidator(self)],
            validate_on=["changed", "submitted"],
            select_on_focus=False,
            id="workspace-id",
            classes="tight",
        )
        workspace.disabled = self.pinned_id is not None  # the team's workspace: shown, locked
        yield workspace
        yield from self._locks("workspace_id")
        yield Prose("", id="workspace-status", classes="field-status")
        if region.scope_choice == "workspace":
            reminder = t("screen_workspace.scope_reminder", scope=scope.name.get(lang))
            yield Prose(
                Text(f"{MARK_WARN}{gap()}{reminder}"),
                classes="field-status -warning",
            )
        if len(self.domain_styles) > 1:
            yield Prose(t("screen_workspace.style"), classes="field-label tight")
            # Enter goes on with the highlighted style, as the footer's "Enter: Next" says.
            styles = ChoiceRadioSet(
                *(
                    MarkedRadioButton(self._style_label(style), value=self.style == style)
                    for style in self.domain_styles
                ),
                highlight=self.domain_styles.index(self.style),
                enter_continues=True,
                id="style",
            )
            styles.disabled = self.style_locked  # the one host the team policy leaves
            yield styles
            yield from self._locks("access_domains", "plans")
            yield Prose(self._domain_text(), id="domain-guarantees", classes="hint")
        token = self.plans.get("token")
        if token is not None and len(token.editions) > 1:
            yield Prose(
                t("screen_workspace.edition"), id="edition-label", classes="field-label tight"
            )
            yield edition_choice(self.edition)
        if not region.has_shared_host:
            no_shared = t("screen_workspace.no_shared", region=region.name.get(lang))
            yield Prose(
                Text(f"{MARK_WARN}{gap()}{no_shared}"),
                classes="field-status -warning",
            )
        yield Prose(t("screen_workspace.model"), classes="field-label tight")
        model = Select(self._model_options(), value=self.model, allow_blank=False, id="model")
        model.disabled = self.policy is not None and self.policy.pinned("models") is not None
        yield model
        yield from self._locks("models")
        yield Prose(t("screen_workspace.preview"), classes="field-label tight")
        with HorizontalScroll(id="url-preview-box"):
            yield Static("", id="url-preview", markup=False)

    def _model_options(self) -> list[tuple[str, str]]:
        models = self._models()
        if self.model not in models:
            models.insert(0, self.model)
        return [(m, m) for m in models]

    def _locks(self, *rules: str) -> ComposeResult:
        """The "set by the team policy" line of each rule here the policy pins."""
        for rule in rules:
            line = locked_line(self.policy, rule)
            if line is not None:
                yield line

    def _domain_text(self) -> Text:
        plan = self.plan
        domain = None if plan is not None else self.domains[DOMAIN_OF_STYLE[self.style]]
        return domain_text(plan, domain)

    def on_mount(self) -> None:
        self._show_plan_widgets()
        self._refresh(self.query_one("#workspace-id", Input).value, touched=False)

    def _show_plan_widgets(self) -> None:
        """The edition choice only on the Token Plan host (where it has two editions)."""
        on_token = self.plan is not None and self.plan.plan == "token"
        for selector in ("#edition", "#edition-label"):
            for widget in self.query(selector):
                widget.display = on_token

    # -- live validation ----------------------------------------------------------------------
    def _refresh(self, raw: str, *, touched: bool = True) -> None:
        """Update the reason under the field and the URL preview for the text as it is now."""
        status = self.query_one("#workspace-status", Static)
        status.remove_class("-invalid", "-warning", "-valid")
        ws = None
        lines: list[str] = []
        if self._picked is not None and not raw.strip():
            status.add_class("-valid")
            status.update(Text(f"{MARK_OK}{gap()}{self._picked}"))
            self.query_one("#url-preview", Static).update(self._preview(None, ""))
            return
        if self._key_refused and not raw.strip():
            status.add_class("-invalid")
            status.update(Text(f"{MARK_FAIL}{gap()}{t('endpoints.ws_looks_like_key')}"))
            blocked = Text(f"{MARK_FAIL}{gap()}{t('screen_workspace.preview_blocked')}")
            self.query_one("#url-preview", Static).update(blocked)
            return
        if self.plan is not None:
            lines.append(t("screen_workspace.plan_no_id", plan=self.plan.name))
            if raw.strip():  # e.g. another region's plan host: say so, not only "unused"
                try:
                    self.read_id(raw)
                except InvalidWorkspaceId as exc:
                    lines.append(f"{MARK_WARN}{gap()}{exc.message}")
                    status.add_class("-warning")
        elif raw.strip():
            try:
                ws = self.read_id(raw)
            except InvalidWorkspaceId as exc:
                status.add_class("-invalid")
                lines.append(f"{MARK_FAIL}{gap()}{exc.message}")
            else:
                found, style = valid_id_status(ws, self.region_info.id, self.policy)
                lines.extend(found)
                status.add_class(style)
                self.clear_error()
        elif self.style == "workspace" and touched:
            status.add_class("-invalid")
            lines.append(f"{MARK_FAIL}{gap()}{self.missing_message()}")
        elif self.style == "workspace":
            lines.append(t("screen_workspace.type_id"))
        status.update(Text("\n".join(lines)))
        self.query_one("#url-preview", Static).update(self._preview(ws, raw))

    def _preview(self, ws: WorkspaceId | None, raw: str) -> Text:
        blocked = bool(raw.strip()) and ws is None
        value = str(ws) if ws else None
        return url_preview(self.region_info, self.style, self.plan, value, blocked, self.catalog)

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id != "workspace-id":
            return
        event.stop()
        if looks_like_key(event.value):
            # A pasted API key must not stay on screen (T16): the field is emptied and the
            # reason stays (and Next refuses) until something else is typed.
            self._key_refused = True
            event.input.value = ""
            return
        if event.value:
            self._key_refused = False
            self._picked = None
        if self._pick_pasted_host(event.value):
            event.input.value = ""  # the host is chosen above; the field is for an ID
            return
        if (
            not self._style_chosen
            and self.region_info.has_shared_host
            and event.value.strip()
            and self.style == "shared"
            and "workspace" not in self.refused  # a policy that rules the domain out
        ):
            self._set_style("workspace")
        self._refresh(event.value)

    def _pick_pasted_host(self, raw: str) -> bool:
        """A pasted DashScope / trial / plan host of this region chooses that host (the
        message names CLI flags; here the choice is one click away, so it is made and said)."""
        if not raw.strip():
            return False
        try:
            self.read_id(raw)
            return False
        except InvalidWorkspaceId as exc:
            style, params = style_of_host(exc, self.region_info.id), exc.params
        if style is None or style not in self.domain_styles:
            return False
        host = str(params.get("host"))
        self._picked = t("screen_workspace.host_picked", host=host, choice=self._style_label(style))
        self._set_style(style)
        self._style_chosen = True
        return True

    def _set_style(self, style: str) -> None:
        radio = self.query_one("#style", RadioSet)
        with self.prevent(RadioSet.Changed):
            radio.query(RadioButton)[self.domain_styles.index(style)].value = True
        self._apply_style(style)

    def _apply_style(self, style: str) -> None:
        """The style chosen: its guarantees, and on a change of plan its model list."""
        was_plan = self.plan
        self.style = style
        self.query_one("#domain-guarantees", Static).update(self._domain_text())
        if self.plan != was_plan:  # another model list: a plan serves its own models
            if self.model not in self._models():
                self.model = self._models()[0]
            select = self.query_one("#model", Select)
            with self.prevent(Select.Changed):
                select.set_options(self._model_options())
                select.value = self.model
        self._show_plan_widgets()

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        if event.radio_set.id == "edition":
            event.stop()
            self.edition = EDITION_CHOICES[event.index]
            return
        if event.radio_set.id != "style":
            return
        event.stop()
        self._style_chosen = True
        self._picked = None
        self._apply_style(self.domain_styles[event.index])
        field = self.query_one("#workspace-id", Input)
        field.validate(field.value)
        self._refresh(field.value, touched=False)
        if self.style in self.refused:  # said now; Next refuses it
            self.show_status(self.refused[self.style])
        else:
            self.clear_error()

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "model" and isinstance(event.value, str):
            event.stop()
            self.model = event.value

    # -- results ------------------------------------------------------------------------------
    def collect(self) -> WizardState:
        if not self.is_mounted:
            return self.state
        raw = self.query_one("#workspace-id", Input).value
        try:
            ws: str | None = self.read_id(raw).value if raw.strip() else None
        except InvalidWorkspaceId:
            ws = self.state.workspace_id
        return self._with_inputs(ws)

    def _with_inputs(self, ws: str | None) -> WizardState:
        """The state with this step's choices and the (already normalised) workspace ID (kept
        on a plan host, unused there, for a way back to the workspace domain)."""
        plan = self.plan
        state = dataclasses.replace(
            self.state,
            endpoint_style="workspace" if plan is not None else self.style,
            workspace_id=ws,
            workspace_region=self.region_info.id if ws else None,
            model=self.model,
        )
        if plan is None:
            return without_plan(state)
        return with_plan(state, plan.plan, self.region_info.id, self.edition or None)

    def submit(self) -> WizardState | None:
        raw = self.query_one("#workspace-id", Input).value
        self._refresh(raw)
        if self._key_refused and not raw.strip():
            self.show_status(t("endpoints.ws_looks_like_key"))
            return None
        ws = None
        if raw.strip():
            try:
                ws = self.read_id(raw).value
            except InvalidWorkspaceId as exc:
                if self.plan is None:
                    self.show_status(exc.message)
                    return None  # a plan host takes no ID: a bad one is dropped, not in the way
        if self.plan is None:
            try:
                base_urls(self.region_info, self.style, ws)
            except (EndpointError, InvalidWorkspaceId) as exc:
                self.show_status(exc.message)
                return None
        state = self._with_inputs(ws)
        if (refused := setup_refusal(self.policy, state, STEP_RULES)) is not None:
            self.show_status(refused)  # the rule, what it allows, the file's reason
            return None
        return state
