"""Fixtures for the browser tests: a JupyterLab server on a free localhost port with a
token, and Debian's headless Chromium driven by Playwright (no browser download).

Skipped, with the reason, where ``/usr/bin/chromium`` or Playwright is missing.
CI installs both (``apt-get install -y chromium``; ``pip install playwright``).
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from course_utils.core.config import env_setting

CHROMIUM = str(env_setting("COURSE_CHROMIUM") or "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
SERVER_START_S = 60


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def chromium():
    """A headless Chromium browser (Playwright), closed at the end."""
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("Playwright is not installed (pip install playwright; never "
                    "`playwright install`: the test uses Debian's Chromium)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=CHROMIUM_ARGS, timeout=60_000)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    """A fresh page of 1280x800 that records failed requests and page errors."""
    context = chromium.new_context(viewport={"width": 1280, "height": 800})
    new_page = context.new_page()
    new_page.problems = []
    new_page.on("pageerror", lambda err: new_page.problems.append(f"error: {err}"))
    new_page.on("requestfailed",
                lambda req: new_page.problems.append(f"failed: {req.url}"))
    yield new_page
    context.close()


@pytest.fixture
def screenshot():
    """``screenshot(page, name)`` saves tests/browser/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(exist_ok=True)

    def take(target, name: str, **options) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        target.screenshot(path=str(path), **options)
        return path

    return take


class LabServer:
    """A JupyterLab server on 127.0.0.1, serving ``root`` with a random token."""

    def __init__(self, root: Path, home: Path):
        self.root, self.port = root, _free_port()
        self.token = secrets.token_hex(16)
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = home / "jupyterlab.log"
        env = dict(os.environ, COURSE_FAST="1", COURSE_OFFLINE="1",
                   COURSE_THREADS="1", JUPYTER_CONFIG_DIR=str(home / "config"),
                   JUPYTER_RUNTIME_DIR=str(home / "runtime"),
                   JUPYTERLAB_SETTINGS_DIR=str(home / "settings"),
                   JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"),
                   MPLBACKEND="module://matplotlib_inline.backend_inline")
        command = [sys.executable, "-m", "jupyter", "lab", "--no-browser",
                   "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}",
                   "--ServerApp.port_retries=0", "--ServerApp.allow_root=True",
                   "--LabApp.extension_manager=readonly",
                   f"--IdentityProvider.token={self.token}",
                   f"--ServerApp.root_dir={root}",
                   "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=",
                   "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
        with open(self.log, "w") as log:
            self.process = subprocess.Popen(command, env=env, stdout=log,
                                            stderr=subprocess.STDOUT, cwd=root,
                                            start_new_session=True)
        self._wait()

    def url(self, path: str) -> str:
        return f"{self.base}/{path.lstrip('/')}?token={self.token}"

    def _wait(self) -> None:
        deadline = time.monotonic() + SERVER_START_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                with urllib.request.urlopen(self.url("api/status"), timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        self.stop()
        tail = self.log.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"JupyterLab did not start within {SERVER_START_S} s on "
                           f"port {self.port}. Its log ends with:\n{tail}")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """``lab(*notebooks)``: copy the given notebooks (paths) into the folder that a
    JupyterLab server serves, started on first use and stopped after the module."""
    home = tmp_path_factory.mktemp("jupyterlab")
    root = home / "course"
    root.mkdir()
    _quiet_settings(home / "settings")
    servers: list[LabServer] = []

    def start(*notebooks: Path) -> LabServer:
        for notebook in notebooks:
            shutil.copy(notebook, root / Path(notebook).name)
            style = Path(notebook).parent / "rise.css"  # the live slides' style
            if style.is_file():
                shutil.copy(style, root / style.name)
        if not servers:
            servers.append(LabServer(root, home))
        return servers[0]

    yield start
    for server in servers:
        server.stop()


def _quiet_settings(folder: Path) -> None:
    """JupyterLab settings for the test: no news pop-up over the screenshots."""
    path = (folder / "@jupyterlab" / "apputils-extension"
            / "notification.jupyterlab-settings")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{"fetchNews": "false", "checkForUpdates": false}\n')
