# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""The README's counter tables are kept true by the agent itself: every name
on the real stats line is documented in its group's table, and no table
documents a counter the agent no longer prints."""
import os
import re

from conftest import REPO, Agent

GROUPS = ("kernel", "go", "user", "export")


def readme_counter_tables():
    """{group: {names}} from README.md's "## Counters" section: the first
    column (`name`) of the table rows under each "### <group>" heading."""
    text = (REPO / "README.md").read_text()
    m = re.search(r"^## Counters\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert m, "README.md has no '## Counters' section"
    tables = {}
    group = None
    for line in m.group(1).splitlines():
        h = re.match(r"### (\w+)", line)
        if h:
            group = h.group(1)
            tables.setdefault(group, set())
            continue
        row = re.match(r"\|\s*`(\w+)`\s*\|", line)
        if row and group:
            tables[group].add(row.group(1))
    return tables


def agent_counter_names():
    """{group: [names]} from the stats line of a real agent that selects only
    this test's own process and exports nothing."""
    agent = Agent(["--pid", str(os.getpid()), "--exporter", "none"])
    stats = agent.stop()
    assert set(stats) == set(GROUPS), stats.keys()
    return {g: list(stats[g]) for g in GROUPS}


def test_every_counter_on_the_stats_line_is_in_the_readme_tables():
    printed = agent_counter_names()
    tables = readme_counter_tables()
    missing = {g: [n for n in printed[g] if n not in tables.get(g, ())] for g in GROUPS}
    assert not any(missing.values()), f"counters without a README row: {missing}"
    stale = {g: sorted(tables.get(g, set()) - set(printed[g])) for g in GROUPS}
    assert not any(stale.values()), f"README rows for counters the agent does not print: {stale}"
