"""Refresh the README's screenshots from the demo: the tracker, a theme summary, a report page.

    python scripts/readme_screenshots.py

Builds the demo in a throwaway SQLite database, serves it, and photographs the pages in Debian's
Chromium; the report page is drawn from the summary report PDF with `pdftoppm` (Debian's
poppler-utils, needed only here).
"""

import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
ROUND = "iasc-2019-10-modern-slavery-prosecutions-your"


def main() -> None:
    if not shutil.which("pdftoppm"):
        sys.exit("pdftoppm is missing: apt-get install poppler-utils")
    work = Path(tempfile.mkdtemp())
    password = secrets.token_urlsafe(16)
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{work / 'demo.sqlite3'}",
        "MEDIA_ROOT": str(work / "media"),
        "EMAIL_FILE_PATH": str(work / "mail"),
    }
    manage = [sys.executable, "manage.py"]
    for command in (["migrate", "-v", "0"], ["load_demo"]):
        subprocess.run([*manage, *command], cwd=ROOT, env=env, check=True)
    subprocess.run(
        [
            *manage,
            "shell",
            "-c",
            "from letters.demo import ensure_demo_users\n"
            "for user in ensure_demo_users().values():\n"
            f"    user.set_password('{password}'); user.save()",
        ],
        cwd=ROOT,
        env=env,
        check=True,
    )
    report = work / "report.pdf"
    subprocess.run(
        [*manage, "build_report", ROUND, "--out", str(report)], cwd=ROOT, env=env, check=True
    )
    OUT.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "70",
            "-singlefile",
            "-f",
            "3",
            "-l",
            "3",
            str(report),
            str(OUT / "report-page"),
        ],
        check=True,
    )

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [*manage, "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(4)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            page = browser.new_page(
                base_url=f"http://127.0.0.1:{port}", viewport={"width": 1400, "height": 1000}
            )
            page.goto("/sign-in/")
            page.get_by_label("Username").fill("commissioner")
            page.get_by_label("Password").fill(password)
            page.get_by_role("button", name="Sign in").click()
            page.goto(f"/rounds/{ROUND}/?sort=-replied#tracker")
            page.screenshot(path=str(OUT / "tracker.png"))
            page.set_viewport_size({"width": 1100, "height": 1300})
            page.goto(f"/rounds/{ROUND}/themes/ancillary-orders/")
            page.screenshot(path=str(OUT / "theme-summary.png"))
            browser.close()
    finally:
        server.terminate()
        server.wait()
    shutil.rmtree(work)
    print(f"Screenshots written to {OUT}")


if __name__ == "__main__":
    main()
