"""The API key step's plan offer: the key typed and the host chosen disagree on the plan.

Both plans issue `sk-sp-` keys, which pay-as-you-go hosts refuse (401 or 403), and plan
hosts refuse pay-as-you-go keys (MODEL_STUDIO.md section 2, "Plan hosts"). So when a plan
key meets a pay-as-you-go setup, the step offers the plan hosts of the region (Beijing and
Singapore have them) as one button each; elsewhere it says where they are and that the
test's region search finds the key's plan and region and offers to use it. The reverse (a
pay-as-you-go key on a plan host) is said, with the way back. Which of these applies is
app.state.key_plan_mismatch's answer; this widget only shows it and posts the choice.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button

from app.config.region_switch import joined, region_label
from app.core.access_advice import plan_options
from app.core.catalog import load_catalog
from app.core.errors import Notice
from app.core.i18n import t
from app.secrets.key import ApiKey
from app.state import WizardState, key_plan_mismatch
from screens.widgets import MARK_WARN, Prose, gap


def shape_notices(notices: Iterable[Notice], state: WizardState) -> list[Notice]:
    """A key's shape notices as the step shows them: "a plan key only works on the plan
    hosts" is left out where the setup is on one (it would read as a warning there)."""
    on_plan = state.endpoint_style == "plan"
    return [n for n in notices if not (on_plan and n.key == "secrets.plan_key")]


class PlanOffer(Vertical):
    """A line of advice and, where the region has plan hosts, a button per plan."""

    DEFAULT_CSS = """
    PlanOffer { height: auto; }
    PlanOffer > Horizontal { height: auto; }
    """

    class Chosen(Message):
        """The user chose the plan host `plan` of the setup's region."""

        def __init__(self, plan: str) -> None:
            super().__init__()
            self.plan = plan

    def __init__(self, state: WizardState, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.state = state
        self.plans = plan_options(state.region or "", state.lang) if state.region else ()

    def compose(self) -> ComposeResult:
        yield Prose("", id="plan-offer-text", classes="field-status -warning")
        with Horizontal(id="plan-offer-buttons", classes="row"):
            for plan in self.plans:
                label = t("screen_apikey.plan_offer_button", plan=plan.name, host=plan.host)
                yield Button(label, id=f"plan-offer-{plan.plan}", compact=True)

    def on_mount(self) -> None:
        self.display = False

    def show_for(self, state: WizardState, key: ApiKey | None) -> None:
        """Show what the key and the setup's host say together (nothing when they agree)."""
        self.state = state
        mismatch = key_plan_mismatch(state, key)
        self.display = mismatch is not None
        buttons = self.query_one("#plan-offer-buttons")
        buttons.display = mismatch == "plan_key" and bool(self.plans)
        if mismatch is None:
            return
        if mismatch == "payg_key":
            text = t("screen_apikey.payg_key_on_plan")
        elif self.plans:
            text = t("screen_apikey.plan_offer")
        else:
            regions = dict.fromkeys(r for p in load_catalog().plans.values() for r in p.hosts)
            names = joined([region_label(r) for r in regions])
            text = t("screen_apikey.plan_offer_elsewhere", regions=names)
        self.query_one("#plan-offer-text", Prose).update(Text(f"{MARK_WARN}{gap()}{text}"))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        button_id = event.button.id or ""
        if button_id.startswith("plan-offer-"):
            event.stop()
            self.post_message(self.Chosen(button_id.removeprefix("plan-offer-")))
