"""Programs from Debian that some tests need: a machine without one skips those tests; CI fails."""

from __future__ import annotations

import os
import shutil

import pytest


def required_tool(name: str, package: str) -> str:
    """The path of ``name``; CI must have installed Debian's ``package``, elsewhere the test skips."""
    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is not installed: CI must install Debian's {package}")
        pytest.skip(f"{name} is not installed")
    return path
