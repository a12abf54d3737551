"""Browser tests: a phone-sized Chromium against a real ``zoufang serve`` with a village to work in.

Playwright drives Debian's Chromium (the ``chromium`` fixture: CI installs it, a machine without
it skips these tests); Playwright's own browser downloads are never used. Each test gets a fresh
phone (browser context) and a fresh server over its own SQLite folder, seeded as described in
tests/e2e/field.py.

Screenshots go to ``$ZOUFANG_TEST_ARTIFACTS`` (default ``test-artifacts/`` in the repository),
where reviewers and CI pick them up; ``assert_accessible`` scans a page with the vendored
axe-core (tests/e2e/vendor/README.md) for WCAG 2 A/AA violations.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, Protocol

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from tests.browser import CHROMIUM_ARGS
from tests.e2e.field import FIELD_LAT, FIELD_LON, FieldServer, start_field_server

ROOT = Path(__file__).resolve().parents[2]
PACKAGED_PWA_DIR = ROOT / "pwa"
AXE_JS = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
ARTIFACTS_ENV = "ZOUFANG_TEST_ARTIFACTS"


class FieldServerFactory(Protocol):
    def __call__(self, env: Mapping[str, str] | None = None, *, own_pwa: bool = True) -> FieldServer: ...


@pytest.fixture
def custom_field_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FieldServerFactory]:
    """Start field servers with extra environment (``ZOUFANG_*`` settings); all stop after the test.

    Unless ``env`` names its own ``ZOUFANG_PWA_DIR`` or ``own_pwa`` is False, the server serves
    a private copy of the phone app, at ``server.pwa_dir``, which the test may change while the
    server runs (to ship a new version of the app, say).
    """
    with ExitStack() as stack:

        def start(env: Mapping[str, str] | None = None, *, own_pwa: bool = True) -> FieldServer:
            root = tmp_path_factory.mktemp("field-server")
            extra = dict(env or {})
            if "ZOUFANG_PWA_DIR" in extra:
                pwa_dir = Path(extra["ZOUFANG_PWA_DIR"])
            elif own_pwa:
                pwa_dir = root / "pwa"
                shutil.copytree(PACKAGED_PWA_DIR, pwa_dir)
                extra["ZOUFANG_PWA_DIR"] = str(pwa_dir)
            else:
                pwa_dir = PACKAGED_PWA_DIR
            return stack.enter_context(start_field_server(root, pwa_dir=pwa_dir, env=extra))

        yield start


@pytest.fixture
def field_server(custom_field_server: FieldServerFactory) -> FieldServer:
    """A seeded server serving the phone app from the repository's pwa/."""
    return custom_field_server(own_pwa=False)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    """Playwright for the whole session (only one may run at a time in a process)."""
    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="session")
def browser(playwright: Playwright, chromium: str) -> Iterator[Browser]:
    """Debian's Chromium, headless, driven by Playwright for the whole session."""
    browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@contextmanager
def watched(context: BrowserContext) -> Iterator[BrowserContext]:
    """Yield ``context``; close it after, failing if the app broke its Content-Security-Policy."""
    refused: list[str] = []
    context.on(
        "console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None
    )
    yield context
    context.close()
    assert not refused, "the app did something its Content-Security-Policy forbids:\n" + "\n".join(refused)


@pytest.fixture
def phone(browser: Browser) -> Iterator[BrowserContext]:
    """A cheap Android phone standing in the field village, location allowed, in Chinese."""
    context = browser.new_context(
        viewport={"width": 360, "height": 640},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        user_agent=(
            "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
            f"Chrome/{browser.version} Mobile Safari/537.36"
        ),
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        geolocation={"latitude": FIELD_LAT, "longitude": FIELD_LON, "accuracy": 20},
        permissions=["geolocation"],
        service_workers="allow",
    )
    with watched(context):
        yield context


@pytest.fixture
def desk(browser: Browser) -> Iterator[BrowserContext]:
    """A county office's computer: a 1366 × 900 screen, in Chinese."""
    context = browser.new_context(
        viewport={"width": 1366, "height": 900}, locale="zh-CN", timezone_id="Asia/Shanghai", service_workers="allow"
    )
    with watched(context):
        yield context


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where screenshots go: ``$ZOUFANG_TEST_ARTIFACTS``, else ``test-artifacts/`` in the repository."""
    folder = Path(os.environ.get(ARTIFACTS_ENV) or ROOT / "test-artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def save_screenshot(folder: Path, page: Page, name: str, **options: Any) -> Path:
    """Save what ``page`` shows as ``folder / name.png``; return the path."""
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), **options)
    return path


@pytest.fixture
def screenshot(artifacts: Path) -> Callable[..., Path]:
    """``screenshot(page, name, **options)`` saves a PNG into the artifacts folder."""

    def take(page: Page, name: str, **options: Any) -> Path:
        return save_screenshot(artifacts, page, name, **options)

    return take


SERIOUS_IMPACTS = ("serious", "critical")


def check_accessible(page: Page) -> None:
    """Fail on every serious or critical WCAG 2 A/AA violation axe-core finds on the page."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        # Evaluated through the browser's debugging protocol, which the page's CSP (no inline
        # script) does not govern, unlike a <script> tag added to the page.
        page.evaluate(AXE_JS.read_text(encoding="utf-8"))
    results = page.evaluate(
        """() => axe.run(document, {
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']},
            resultTypes: ['violations'],
        })"""
    )
    serious = [v for v in results["violations"] if v["impact"] in SERIOUS_IMPACTS]
    report = "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']}\n"
        + "\n".join(f"    {' '.join(map(str, node['target']))}" for node in v["nodes"])
        for v in serious
    )
    assert not serious, f"accessibility violations on {page.url}:\n{report}"


@pytest.fixture
def assert_accessible() -> Callable[[Page], None]:
    """``assert_accessible(page)`` fails listing serious and critical axe-core violations."""
    return check_accessible
