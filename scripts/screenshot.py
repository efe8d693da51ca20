"""Take the README's screenshot of a rendered digest: python scripts/screenshot.py

Builds the example site, serves it on 127.0.0.1 and photographs the reading
list in headless Chromium (Playwright), with MathJax served from the files of
the `mathjax` package (pip install -e '.[test]'). Writes docs/assets/digest.png.
"""

from __future__ import annotations

import functools
import http.server
import re
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import mathjax
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    with tempfile.TemporaryDirectory() as site:
        subprocess.run([sys.executable, "-m", "mkdocs", "build", "-q", "-d", site], cwd=ROOT, check=True)
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=site)
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_address[1]}"
        files = Path(mathjax.__file__).parent / "static" / "mathjax"
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1280, "height": 1500})

            def route(request_route):  # type: ignore[no-untyped-def]
                url = request_route.request.url
                if url.startswith(base):
                    return request_route.continue_()
                if match := re.match(r"https://unpkg\.com/mathjax@3/(.+)", url):
                    return request_route.fulfill(path=str(files / match.group(1)))
                return request_route.abort()

            page.route("**/*", route)
            page.goto(f"{base}/examples/reading-list/", wait_until="networkidle")
            page.wait_for_selector("mjx-container")
            page.screenshot(path=str(ROOT / "docs/assets/digest.png"))
            browser.close()
        server.shutdown()


if __name__ == "__main__":
    main()
