"""The demo's collusion flags in real headless Chromium, as a newcomer finds them after `make run`: the
supervisor opens the opened works tender's signals from the workspace panel, reads them in Chinese and in
English, on a laptop and on a phone. `TOUR_SHOTS_DIR=docs/img` writes the README's screenshot too."""
from __future__ import annotations

import pytest

from tests.e2e.test_tour import demo_app, sign_in, snap  # noqa: F401  (a fixture)

pytestmark = pytest.mark.e2e


def test_a_supervisor_finds_the_planted_ring(demo_app, new_page):  # noqa: F811
    base = demo_app.base_url
    page = new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    sign_in(page, base, "supervisor", "/workspace/")
    page.click("#collusion-panel a")
    page.wait_for_selector("#collusion-flags")
    assert page.locator("#collusion-flags section.flag").count() == 3
    text = page.inner_text("#collusion-flags")
    for words in ("同一网络地址投标", "同一设备加密投标", "保证金来自同一账户", "宏达建设有限公司", "远东路桥工程有限公司",
                  "第四十条第（六）项"):
        assert words in text
    assert "华建工程集团有限公司" not in text  # the honest bidders are named by no flag
    snap(page, "collusion-zh")
    page.goto(page.url.split("?")[0] + "?lang=en")
    page.wait_for_selector("#collusion-flags")
    assert "Bids sealed on the same device" in page.inner_text("#collusion-flags")
    snap(page, "collusion-en")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    snap(page, "collusion-phone")
    assert not problems, problems
