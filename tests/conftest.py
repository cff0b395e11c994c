"""Shared fixtures: a private parse cache for every test, and, for tests marked
``browser``, Debian's chromium driven by Playwright, with every non-file request aborted and recorded."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@dataclass
class OfflinePage:
    page: Any                                        # playwright.sync_api.Page
    errors: list[str] = field(default_factory=list)  # console errors and uncaught exceptions
    blocked: list[str] = field(default_factory=list)  # URLs the page tried to fetch off disk


@pytest.fixture(scope="session")
def headless_chromium() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent; .ci/install-browser.sh installs it")
    # Imported here so that collecting non-browser tests never needs playwright.
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def offline_page(headless_chromium: Any) -> Iterator[OfflinePage]:
    context = headless_chromium.new_context(offline=True, viewport={"width": 1200, "height": 800})
    result = OfflinePage(page=None)

    def only_files(route: Any) -> None:
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            result.blocked.append(route.request.url)
            route.abort()

    context.route("**/*", only_files)
    page = context.new_page()
    page.on("console", lambda message: message.type == "error"
            and result.errors.append(f"console: {message.text}"))
    page.on("pageerror", lambda error: result.errors.append(f"pageerror: {error}"))
    result.page = page
    yield result
    context.close()


@pytest.fixture(autouse=True, scope="session")
def private_parse_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Builds run by the tests use a parse cache of their own, so they never
    read from or write to the user's ~/.cache/kg."""
    import os

    previous = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))
    yield
    if previous is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = previous
