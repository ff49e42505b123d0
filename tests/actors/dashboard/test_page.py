"""The health page in real headless Chromium (Debian's), driven by Playwright.

The page must show every actor of the running system, and pressing
"restart" must restart the actor and show its restart count go up over the
WebSocket, without a reload. The last test runs the app's own tree on the
devnet with traffic, as ``make run`` does, and leaves a screenshot of its
page as a test artifact in ``.artifacts/``; ``docs/health-page.png``, the
README's, is a copy of one.
"""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec
import pytest

from actors.devnet import BOT_ACCOUNT, BOT_KEY, TRAFFIC_MAILBOX, TrafficGenerator
from messages.health import GetDashboardUrl
from runtime import Actor, ActorSystem, Supervisor
from runtime._context import child_spec
from runtime.app import app_children
from runtime.config import (
    ChainConfig,
    Config,
    DashboardConfig,
    DexConfig,
    ExecutorConfig,
    NonceConfig,
    SignerConfig,
)
from tests.actors.dashboard.conftest import TOKEN, start

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from playwright.async_api import Browser, Page

    from actors.devnet import Deployment
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
BOT_KEY_ENV = "TEST_DEVNET_BOT_PRIVATE_KEY"

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
    await expect(page.locator("#executor-mode")).to_have_text("live")
    await expect(page.locator("#executor-executed")).to_have_text("4")
    await expect(page.locator("#executor-in-flight")).to_have_text("1")
    await expect(page.locator("#executor-outcomes")).to_contain_text("skipped 2")
    await expect(page.locator("#executor-profit")).to_contain_text("1.606e60 of 0x1a1a1a")
    pair = page.locator("#analytics-pairs tbody tr")
    await expect(pair).to_have_count(1)
    await expect(pair).to_contain_text("1.25 %")
    await expect(page.locator("#analytics-dexes tbody")).to_contain_text("uniswap_v2_a")
    await expect(page.locator("#analytics-error")).to_be_hidden()
    await expect(page.locator("#ready")).to_have_text("ready")
    # Sparklines need two samples; the chatter gives them something to draw.
    await page.wait_for_function(
        """() => {
          const line = document.querySelector('tr[data-path="/app/chatter"] polyline.rate');
          return line && line.getAttribute('points').split(' ').length >= 15;
        }"""
    )
    assert errors == []


async def test_the_page_fits_a_phone_screen(live: Running, browser: Browser) -> None:
    from playwright.async_api import expect

    page, errors = await open_page(
        browser, live, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    worker = page.locator('tr[data-path="/app/worker"]')
    await expect(worker).to_be_visible()

    await expect(page.locator("#analytics-pairs tbody tr")).to_have_count(1)
    overflow = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    await worker.locator("button.restart").tap()
    await page.fill("#token-input", TOKEN)
    await page.tap("#token-ok")
    await expect(worker.locator("td.restarts")).to_have_text("1")
    assert errors == []


async def test_the_apps_page_on_the_devnet_shows_its_chain_pools_analytics_and_opportunities(
    devnet: Deployment, browser: Browser, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from playwright.async_api import expect

    monkeypatch.delenv("ARBITER_DASHBOARD_TOKEN", raising=False)
    monkeypatch.setenv(BOT_KEY_ENV, BOT_KEY)
    # What `arbiter run --devnet` runs (runtime/app.py, _start_devnet), live from the bot.
    config = Config(
        chain=ChainConfig(ws_url=devnet.ws_url, chain_id=devnet.chain_id),
        dex=[
            DexConfig(
                name=dex.name,
                kind=dex.kind,
                factory=dex.factory,
                pools=[pool.address for pool in dex.pools],
            )
            for dex in devnet.dexes
        ],
        dashboard=DashboardConfig(port=0, token=TOKEN),
        signer=SignerConfig(key_env=BOT_KEY_ENV),
        nonce=NonceConfig(accounts=[BOT_ACCOUNT]),
        executor=ExecutorConfig(mode="live", account=BOT_ACCOUNT, contract=devnet.arbitrage),
    )
    traffic = child_spec(
        partial(TrafficGenerator, devnet, interval=0.5, seed=7),
        name="traffic",
        mailbox=TRAFFIC_MAILBOX,
    )
    children = app_children(config, tmp_path)
    children[-1:-1] = [traffic]
    async with ActorSystem("arbiter") as system:
        await system.spawn(partial(Supervisor, children), name="app")
        dashboard = system.lookup("/app/dashboard")
        assert dashboard is not None
        url = str(await dashboard.ask(GetDashboardUrl(), timeout=30))
        page = await browser.new_page(viewport={"width": 1440, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        await page.goto(url)

        seconds = 60_000
        await expect(page.locator("#chains tbody")).to_contain_text("31337", timeout=seconds)
        pools = sum(len(dex.pools) for dex in devnet.dexes)
        await expect(page.locator("#pools tbody tr")).to_have_count(pools, timeout=seconds)
        await expect(page.locator("#executor-mode")).to_have_text("live", timeout=seconds)
        await expect(page.locator("#analytics-dexes tbody tr")).to_have_count(
            len(devnet.dexes), timeout=seconds
        )
        await expect(page.locator("#opportunities td.empty")).to_have_count(0, timeout=seconds)
        await expect(page.locator("#analytics-error")).to_be_hidden()
        for snapshot in system.snapshot():
            await expect(page.locator(f'tr[data-path="{snapshot.path}"]')).to_be_attached()
        SCREENSHOT.parent.mkdir(exist_ok=True)
        await page.screenshot(path=str(SCREENSHOT), full_page=True)
        assert errors == []
