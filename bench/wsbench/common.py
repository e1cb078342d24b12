# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""log() and the two exceptions every module of the harness shares."""


def log(msg=""):
    print(msg, flush=True)


class Fatal(Exception):
    """A missing tool or a step that cannot go on: one clear line, exit 1."""


class Skip(Exception):
    """A case that cannot run here (a missing optional tool): reported, not fatal."""
