"""The commands a remedy prints, filled for the user's profile, config file and network
settings: one builder for `doctor` on the CLI and the doctor screen (B7, D19).

The placeholders and their bare forms are in app.findings.codes (REMEDY_COMMANDS); here they
become commands that address the profile the run was made for. The run's options are read
through `RunOptions`, the few fields of app.probe.engine.ProbeOptions this needs (findings sit
below probe in the layers, so the probe's class is not imported).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from app.config.io import is_default_location
from app.core.invocation import command
from app.core.text import inert
from app.findings.codes import Finding


class _Pin(Protocol):
    @property
    def raw(self) -> str: ...


class _Pins(Protocol):
    @property
    def resolve(self) -> Sequence[_Pin]: ...

    @property
    def connect_to(self) -> Sequence[_Pin]: ...


class RunOptions(Protocol):
    """What a remedy needs of a run's ProbeOptions: the pins, the CA file, the proxy switch."""

    @property
    def pins(self) -> _Pins: ...

    @property
    def ca_file(self) -> str | None: ...

    @property
    def no_proxy(self) -> bool: ...


@dataclass(frozen=True)
class RemedyCommands:
    """The commands remedies print: the one builder for the CLI and the doctor screen (B7,
    D19). Each addresses the profile the run was made for (`--profile`, and `--config` when
    the file is not the default one); doctor re-runs also carry the network settings (pins,
    CA file, --no-proxy). Spelt with app.core.invocation, so a pasted command runs where the
    user stands (`uv run modelstudio-setup …` inside a clone)."""

    profile: str
    config: Path | None = None
    resolve: tuple[str, ...] = ()
    connect_to: tuple[str, ...] = ()
    ca_file: str | None = None
    no_proxy: bool = False

    @classmethod
    def for_run(cls, options: RunOptions, profile: str, config: Path | None) -> RemedyCommands:
        """From a run's ProbeOptions (pins, CA file, proxy switch) and the profile's file."""
        pins = options.pins
        ca = options.ca_file
        return cls(
            profile=profile,
            config=Path(config).expanduser().absolute() if config is not None else None,
            resolve=tuple(p.raw for p in pins.resolve),
            connect_to=tuple(p.raw for p in pins.connect_to),
            ca_file=str(Path(ca).expanduser().absolute()) if ca else None,
            no_proxy=bool(options.no_proxy),
        )

    def _profile_args(self) -> list[str]:
        parts = ["--profile", self.profile]
        if self.config is not None and not is_default_location(self.config):
            parts += ["--config", str(self.config)]
        return parts

    def _command(self, *words: str) -> str:
        return inert(command(*words))

    def doctor(self) -> str:
        parts = ["doctor", *self._profile_args()]
        for value in self.resolve:
            parts += ["--resolve", value]
        for value in self.connect_to:
            parts += ["--connect-to", value]
        if self.ca_file:
            parts += ["--ca-file", self.ca_file]
        if self.no_proxy:
            parts.append("--no-proxy")
        return self._command(*parts)

    def configure_model(self, model: str) -> str:
        """Change the model of the existing profile, nothing else (the valid stream's edit
        form: `configure --profile P --model M [--config C]`)."""
        return self._command("configure", *self._profile_args(), "--model", model)

    def configure_region(self, region: str) -> str:
        """Point the existing profile at the region whose shared host accepted the key (the
        ownership probe only asks shared hosts, so that region has one)."""
        return self._command(
            "configure", *self._profile_args(), "--region", region, "--shared-host"
        )

    def configure_plan(self, plan: str, plan_region: str) -> str:
        """Point the existing profile at the plan host that accepted the key (the ownership
        matrix asks the four plan hosts): `configure --profile P --plan K --plan-region R`."""
        return self._command(
            "configure", *self._profile_args(), "--plan", plan, "--plan-region", plan_region
        )

    def env(self) -> str:
        return self._command("env", *self._profile_args())

    def key_set(self) -> str:
        return self._command("key", "set", *self._profile_args(), "--api-key-stdin")

    def apply(self, findings: list[Finding]) -> list[Finding]:
        """The findings with every command placeholder filled for this profile."""
        common = {
            "command": self.doctor(),
            "env_command": self.env(),
            "key_set_command": self.key_set(),
            "profile": self.profile,
        }
        out = []
        for f in findings:
            params = {**f.params, **common}
            models = [m.strip() for m in str(f.params.get("models") or "").split(",")]
            model = next((m for m in models if m and m != "-"), "MODEL")
            params["configure_model"] = self.configure_model(model)
            regions = f.params.get("regions") or ()
            owner = regions[0] if isinstance(regions, tuple | list) and regions else "REGION"
            params["configure_region"] = self.configure_region(str(owner))
            plan, plan_region = f.params.get("plan"), f.params.get("plan_region")
            params["configure_plan"] = self.configure_plan(
                str(plan or "PLAN"), str(plan_region or "REGION")
            )
            out.append(dataclasses.replace(f, params=params))
        return out
