"""Screenshot of a kg HTML view, for the README.

    python scripts/screenshot.py out/view.html docs/view.png [--width 1400 --height 900]

Drives Debian's /usr/bin/chromium through Playwright with the network off
(run .ci/install-browser.sh first), waits until the view has finished its
layout, then saves a PNG.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from playwright.sync_api import Route, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def _only_files(route: Route) -> None:
    # The view is self-contained; anything else is a bug, never a dependency.
    if route.request.url.startswith("file:"):
        route.continue_()
    else:
        route.abort()


def screenshot(view: Path, out: Path, width: int, height: int, timeout_ms: int) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": width, "height": height}, offline=True)
            context.route("**/*", _only_files)
            page = context.new_page()
            page.goto(view.resolve().as_uri())
            page.wait_for_selector("body[data-kg-ready='1']", state="attached", timeout=timeout_ms)
            page.wait_for_timeout(300)     # let the final fit animation settle
            out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(out))
        finally:
            browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("view", type=Path, help="HTML file written by kg.render.render_html")
    parser.add_argument("out", type=Path, help="PNG to write")
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=900)
    parser.add_argument("--timeout", type=int, default=60_000, help="milliseconds to wait for the layout")
    args = parser.parse_args()
    screenshot(args.view, args.out, args.width, args.height, args.timeout)


if __name__ == "__main__":
    main()
