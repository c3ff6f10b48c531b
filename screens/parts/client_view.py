"""The doctor screen's "What your clients read": what the CLI doctor prints in its section of
the same name (app.findings.client_section lays the lines out, here and there): the values
each client reads, then, once the probe has a result, each client's route and trust store
and the extra paths tested (app.clients.client_paths). Their findings join the run's, so
the verdict counts them as `doctor` does.

Reading the environment's files (HOME may be on a network share) happens in a thread
worker that reports back with a message; the widget never blocks the screen. The
environment, working directory and HOME come from Services (`client_env`, `client_cwd`,
`client_home`; None = this process's), so tests read a temporary HOME.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static

from app.core.i18n import t
from app.findings.client_section import entry_lines, network_lines
from app.services import Services
from screens.widgets import Prose

if TYPE_CHECKING:  # only the types: the reader loads the catalog and the parsers
    from collections.abc import Sequence

    from app.clients.client_paths import ClientNetwork
    from app.clients.environment import ClientEnvironment
    from app.config.schema import Profile
    from app.core.models import Target
    from app.findings.codes import Finding
    from app.findings.remedies import RemedyCommands
    from app.findings.results import ProbeResult
    from app.secrets.key import ApiKey


def client_places(services: Services) -> tuple[Mapping[str, str], Path, Path]:
    """(environment, working directory, HOME) the user's clients read. Looked up when
    read: Path.cwd() / Path.home() can fail (a removed directory, no HOME)."""
    env = services.client_env if services.client_env is not None else os.environ
    cwd = services.client_cwd if services.client_cwd is not None else Path.cwd()
    home = services.client_home if services.client_home is not None else Path.home()
    return env, cwd, home


def clients_json(
    environment: ClientEnvironment, network: ClientNetwork | None = None
) -> dict[str, Any]:
    """The section's data, as the CLI's doctor builds it (app.clients.environment)."""
    from app.clients.environment import section_json  # lazy: the reader, as read() loads it

    return section_json(environment, *network.to_json()) if network else section_json(environment)


class ClientView(Widget):
    """Title and one line per value a client reads; `read()` (re)starts the reading."""

    DEFAULT_CSS = """
    ClientView { height: auto; }
    ClientView #clients-title { padding: 0 1; text-style: bold; }
    ClientView #clients-lines { padding: 0 1 0 3; height: auto; }
    """

    class Read(Message):
        """What the clients read (or why it could not be read), for the read `token`."""

        def __init__(
            self, token: int, environment: ClientEnvironment | None, problem: str | None
        ) -> None:
            super().__init__()
            self.token = token
            self.environment = environment
            self.problem = problem

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.environment: ClientEnvironment | None = None  # of the latest read, once in
        self._token = 0
        self._status: str | None = None  # locale key while there is nothing to list
        self._problem = ""
        self.network: ClientNetwork | None = None  # of the latest run, once checked
        self._demo = False
        self._merged: ProbeResult | None = None
        self._merged_parts: set[str] = set()  # "environment", "network": in _merged already
        self._profile: Profile | None = None  # the profile the latest read judged against

    def compose(self) -> ComposeResult:
        yield Prose("", id="clients-title", markup=False)
        yield Prose("", id="clients-lines", markup=False)

    def on_mount(self) -> None:
        self.display = False  # until there is a profile to read for

    def read(self, services: Services, profile: Profile | None, key: ApiKey | None) -> None:
        """Read again (a new run): the last read's lines and findings no longer count."""
        if profile is None:
            return
        self._token, self._profile = self._token + 1, profile
        self.environment, self.network, self._merged, self.display = None, None, None, True
        # The demo touches nothing real: the user's own files only when places are given.
        demo = services.demo_key is not None and services.client_home is None
        self._demo = demo
        self._status = "screen_doctor.clients_demo" if demo else "screen_doctor.clients_reading"
        self.relocalize()
        if not demo:
            self._read(self._token, services, profile, key)

    @work(thread=True, exclusive=True, group="doctor")
    def _read(self, token: int, services: Services, profile: Profile, key: ApiKey | None) -> None:
        # lazy: the reader (catalog, parsers) loads when the doctor has a profile to judge
        from app.clients.environment import read_environment

        try:
            env, cwd, home = client_places(services)
            found = read_environment(profile, key, env=env, cwd=cwd, home=home)
        except Exception as exc:  # named by type only: a text could quote a value read
            self.post_message(self.Read(token, None, type(exc).__name__))
            return
        self.post_message(self.Read(token, found, None))

    async def check_network(
        self,
        services: Services,
        result: ProbeResult,
        targets: Sequence[Target],
        key: ApiKey | None,
    ) -> bool:
        """Each client's route and store for this run's `result` (its presented chain), and
        the paths the probe did not take, tested once each; True when there is something
        new to merge. Awaited by the screen's probe worker (network calls, bounded by the
        probe's own timeouts); nothing in the demo, which touches nothing real."""
        from app.clients.client_paths import client_network  # lazy: as _read's reader
        from app.probe.engine import ProbeOptions

        if self._demo or self._profile is None:
            return False
        env, _, _ = client_places(services)
        options = services.probe_options or ProbeOptions()
        token = self._token
        try:
            found = await client_network(self._profile, result, targets, key, options, env)
        except Exception as exc:  # named by type only, as the reader's
            self._status, self._problem = "screen_doctor.clients_failed", type(exc).__name__
            self.relocalize()
            return False
        if token != self._token:  # a retry started meanwhile: its own check follows
            return False
        self.network = found
        self.relocalize()
        return True

    @on(Read)
    def _arrived(self, message: Read) -> None:
        if message.token != self._token:  # an older read, overtaken by a retry
            message.stop()
            return
        self.environment = message.environment
        self._status = None if message.problem is None else "screen_doctor.clients_failed"
        self._problem = message.problem or ""
        self.relocalize()  # and the message goes on to the screen, which merges the findings

    def relocalize(self) -> None:
        """Redraw in the current language (the doctor screen is not recomposed)."""
        if not self.is_mounted:
            return
        self.query_one("#clients-title", Static).update(t("doctor.clients_title"))
        if self.environment is not None:
            data = clients_json(self.environment, self.network)
            text = "\n".join([*entry_lines(data), *network_lines(data)])
        else:
            text = t(self._status, error=self._problem) if self._status else ""
        self.query_one("#clients-lines", Static).update(text)

    @property
    def report_json(self) -> dict[str, Any] | None:
        """The section for the saved report (None until read, as `--no-environment`)."""
        if self.environment is None:
            return None
        return clients_json(self.environment, self.network)

    def merge_into(
        self, result: ProbeResult, remedies: Callable[[Profile], RemedyCommands]
    ) -> bool:
        """Add the client findings to `result` once each part is in (what the clients read,
        then their network), as the CLI doctor adds them (with the remedy commands of the
        screen's `remedies(profile)`); True when something was merged now, so the screen
        redraws the result and records the verdict."""
        if self._profile is None:
            return False
        if self._merged is not result:
            self._merged, self._merged_parts = result, set()
        new: list[Finding] = []
        if self.environment is not None and "environment" not in self._merged_parts:
            self._merged_parts.add("environment")
            new += self.environment.findings
        if self.network is not None and "network" not in self._merged_parts:
            self._merged_parts.add("network")
            new += self.network.findings
        if not new:
            return False
        for finding in remedies(self._profile).apply(new):
            result.add_finding(finding)
        return True
