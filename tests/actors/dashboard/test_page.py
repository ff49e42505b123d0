"""The health page in real headless Chromium (Debian's), driven by Playwright.

The page must show every actor of the running system, and pressing
"restart" must restart the actor and show its restart count go up over the
WebSocket, without a reload. It leaves a screenshot as a test artifact in
``.artifacts/``; ``docs/health-page.png``, the README's, is a copy of one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec
import pytest

from runtime import Actor
from runtime._context import child_spec
from tests.actors.dashboard.conftest import TOKEN, start

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from playwright.async_api import Browser, Page

    from tests.actors.dashboard.conftest import Running

CHROMIUM = Path("/usr/bin/chromium")
# As the machine notes say: without the background-networking flags Chromium
# tries to reach hosts this machine's closed network refuses.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOT = Path(__file__).parents[3] / ".artifacts" / "health-page.png"

pytestmark = [
    pytest.mark.timeout(90),
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Debian's chromium is not installed at /usr/bin/chromium (`make test` installs it)",
    ),
]


class _Tick(msgspec.Struct, frozen=True):
    pass


class Chatter(Actor):
    """Handles a message every 20 ms, so the page has throughput to draw."""

    def on_start(self) -> None:
        self.context.every(0.02, _Tick())

    def on_tick(self, message: _Tick) -> None:
        pass


@pytest.fixture
async def live(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Running]:
    """The test tree on the loop's own clock, as in production: the page must update by itself."""
    monkeypatch.delenv("ARBITER_DASHBOARD_TOKEN", raising=False)
    extra = [child_spec(Chatter, name="chatter")]
    async for running in start(tmp_path, None, extra, push_interval=0.1, history_interval=0.1):
        yield running


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS
        )
        try:
            yield chromium
        finally:
            await chromium.close()


async def open_page(browser: Browser, running: Running, **options: Any) -> tuple[Page, list[str]]:
    """Open the health page; return it and a list that collects its script errors."""
    page = await browser.new_page(**options)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    await page.goto(running.url + "/")
    return page, errors


async def test_the_page_shows_every_actor_and_a_restart_counts_up_without_a_reload(
    live: Running, browser: Browser
) -> None:
    from playwright.async_api import expect

    page, errors = await open_page(browser, live, viewport={"width": 1280, "height": 900})
    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))

    for snapshot in live.system.snapshot():
        await expect(page.locator(f'tr[data-path="{snapshot.path}"]')).to_be_visible()
    await page.evaluate("window.stillTheSamePage = true")
    worker = page.locator('tr[data-path="/app/worker"]')
    await expect(worker.locator("td.restarts")).to_have_text("0")

    await worker.locator("button.restart").click()
    await page.fill("#token-input", TOKEN)
    await page.click("#token-ok")

    await expect(worker.locator("td.restarts")).to_have_text("1")
    assert live.actor("/app/worker").restarts_total == 1
    await worker.locator("button.restart").click()  # the token is kept for the tab: no question
    await expect(worker.locator("td.restarts")).to_have_text("2")
    assert await page.evaluate("window.stillTheSamePage") is True
    assert navigations == []
    assert TOKEN not in await page.content()
    assert errors == []


async def test_pause_resume_collapse_and_the_last_error_work_on_the_page(
    live: Running, browser: Browser
) -> None:
    from playwright.async_api import expect

    page, errors = await open_page(browser, live, viewport={"width": 1280, "height": 900})
    await page.evaluate(f"sessionStorage.setItem('arbiter-dashboard-token', {json.dumps(TOKEN)})")
    bank = page.locator('tr[data-path="/app/bank"]')
    await bank.locator("button.pause").click()
    await expect(bank.locator(".state")).to_have_text("paused")
    assert live.actor("/app/bank").paused
    await bank.locator("button.pause").click()
    await expect(bank.locator(".state")).to_have_text("running")

    devnet = page.locator('tr[data-path="/app/chain/devnet"]')
    await page.locator('tr[data-path="/app/chain"] button.toggle').click()
    await expect(devnet).to_be_hidden()
    await page.locator('tr[data-path="/app/chain"] button.toggle').click()
    await expect(devnet).to_be_visible()

    await live.post("/app/worker", '{"type": "SetParam", "name": "fail", "value": 7}', ask=True)
    error = page.locator('tr[data-error-for="/app/worker"]')
    await expect(error.locator("summary")).to_contain_text("ValueError: asked to fail with 7")
    await error.locator("summary").click()
    await expect(error.locator("pre")).to_contain_text("on_set_param")

    await expect(page.locator("#chains tbody")).to_contain_text("devnet")
    await expect(page.locator("#pools tbody tr")).to_have_count(2)
    await expect(page.locator("#opportunities tbody tr")).to_have_count(5)
    await expect(page.locator("#ready")).to_have_text("ready")
    # Sparklines need two samples; the chatter gives them something to draw.
    await page.wait_for_function(
        """() => {
          const line = document.querySelector('tr[data-path="/app/chatter"] polyline.rate');
          return line && line.getAttribute('points').split(' ').length >= 15;
        }"""
    )
    SCREENSHOT.parent.mkdir(exist_ok=True)
    await page.screenshot(path=str(SCREENSHOT), full_page=True)
    assert errors == []


async def test_the_page_fits_a_phone_screen(live: Running, browser: Browser) -> None:
    from playwright.async_api import expect

    page, errors = await open_page(
        browser, live, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    worker = page.locator('tr[data-path="/app/worker"]')
    await expect(worker).to_be_visible()

    overflow = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    await worker.locator("button.restart").tap()
    await page.fill("#token-input", TOKEN)
    await page.tap("#token-ok")
    await expect(worker.locator("td.restarts")).to_have_text("1")
    assert errors == []
