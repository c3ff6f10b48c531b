"""The Workspace step takes the console's API Host as pasted (issue 9 part 1): the ID is
taken from a host of the chosen region and shown back with the URLs it makes; a host of
another region, a trick host or another kind of Model Studio host is refused with its reason
under the field, no URL is previewed from it, and Next stays on the step."""

from __future__ import annotations

import pytest
from textual.widgets import Input

from app.core.i18n import t
from app.services import Services
from app.state import WizardState
from app.tui import make_app
from tests.fixtures.tui_steps import SIZE, settle, step_of, text_of

WS = "llm-4pk8z3x2m9q7r1t5"


async def test_a_pasted_api_host_of_the_region_gives_its_id(services: Services) -> None:
    state = WizardState(residency="mainland", region="cn-beijing", scope="mainland")
    app = make_app(services, state, start_step="workspace")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        field = app.screen.query_one("#workspace-id", Input)
        field.value = f" https://{WS}.cn-beijing.maas.aliyuncs.com/compatible-mode/v1\n"
        await settle(app, pilot)
        status = text_of(app, "#workspace-status").replace("\n", " ")
        assert WS in status and "taken from the API Host of cn-beijing" in status
        assert "✗" not in status
        preview = text_of(app, "#url-preview")
        assert f"https://{WS}.cn-beijing.maas.aliyuncs.com/compatible-mode/v1" in preview
        await pilot.press("enter")
        await settle(app, pilot)
        assert step_of(app) == "apikey"
        assert (app.state.workspace_id, app.state.endpoint_style) == (WS, "workspace")
        assert app.state.region == "cn-beijing"


@pytest.mark.parametrize(
    ("host", "words"),
    [
        (f"{WS}.ap-southeast-1.maas.aliyuncs.com", "is in ap-southeast-1, but the region chosen"),
        (f"https://{WS}.cn-beijing.maas.aliyuncs.com.evil.com/", "not a workspace ID, nor"),
        (f"{WS}.cn-beijing.maas.aliyuncs.com:8443", "names a port"),
        (f"http://{WS}.cn-beijing.maas.aliyuncs.com", "https only"),
        # Another region's plan host (this region's is chosen: test_tui_wizard_plan.py).
        ("coding-intl.dashscope.aliyuncs.com", "is a host of Singapore, not of this region"),
    ],
)
async def test_a_host_that_is_not_this_regions_workspace_is_refused(
    services: Services, host: str, words: str
) -> None:
    state = WizardState(residency="mainland", region="cn-beijing", scope="mainland")
    app = make_app(services, state, start_step="workspace")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.screen.query_one("#workspace-id", Input).value = host
        await settle(app, pilot)
        status = text_of(app, "#workspace-status").replace("\n", " ")
        assert "✗" in status and words in status
        assert t("screen_workspace.preview_blocked") in text_of(app, "#url-preview")
        assert "https://" not in text_of(app, "#url-preview")
        await pilot.press("enter")
        await settle(app, pilot)
        assert step_of(app) == "workspace"
        assert app.state.workspace_id is None
