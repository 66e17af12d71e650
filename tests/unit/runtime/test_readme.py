"""The README tells the truth about configuration and set-up."""

from __future__ import annotations

import re

from qinglian.settings import configuration_table, project_root

README = (project_root() / "README.md").read_text()


def test_configuration_table_matches_the_settings() -> None:
    start, end = "<!-- configuration-table:start -->", "<!-- configuration-table:end -->"
    documented = README[README.index(start) + len(start) : README.index(end)].strip()
    assert documented == configuration_table(), (
        "README is stale: paste the output of `qinglian config --markdown`"
    )


def test_exactly_two_set_up_commands() -> None:
    section = README.split("## Set up", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", section, flags=re.DOTALL)
    commands = [line for block in blocks for line in block.splitlines() if line.strip()]
    assert [command.split("#")[0].strip() for command in commands] == ["./run demo", "./run test"]
