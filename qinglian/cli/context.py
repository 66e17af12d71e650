"""State shared by the CLI's commands: settings are loaded once, on first use."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from qinglian.settings import Settings, load_settings


@dataclass
class CliState:
    config_file: Path | None
    _settings: Settings | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config_file)
        return self._settings
