"""The course on a class's JupyterHub (issue 28), started for real on 127.0.0.1.

A JupyterHub (its dummy authenticator and simple local-process spawner: testing
only; ``--allow-root`` where the tests run as root) with the Python port of
configurable-http-proxy. Three students log in through the login form in
Chromium and follow the course's nbgitpuller link (``python -m
course_utils.tools.hub``) to a local bare clone of this repository: each gets the
course in ``~/deep-generative-models`` and the notebook open in JupyterLab. One
runs her student notebook to the end (fast mode; the unfilled stubs' checks may
raise only NotImplementedError), edits a notebook, and clicks the link again:
nbgitpuller merges, and her edit is kept. Everything started is stopped.

Not in the README's suite: it needs requirements-hub.txt and runs as its own CI
step (``COURSE_HUB_TEST=1 python -m pytest tests/browser/test_hub.py``).
Screenshots: tests/browser/screenshots/hub_<what>.png.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from labtools import ERRORS, RUN_ALL

from course_utils.tools.links import HUB_FOLDER, edition_path, hub_url

ROOT = Path(__file__).resolve().parents[2]
STUDENTS = ("ada", "ben", "chen")
NOTEBOOK = "05_gaussian_kl.ipynb"
PASSWORD = "course-test"
START_S = 90

pytestmark = pytest.mark.skipif(
    not os.environ.get("COURSE_HUB_TEST"),
    reason="the hub test runs on its own: COURSE_HUB_TEST=1 (requirements-hub.txt)")

CONFIG = """
c = get_config()  # noqa: F821
c.JupyterHub.bind_url = "http://127.0.0.1:{port}"
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {hub_port}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{proxy_port}"
c.JupyterHub.db_url = "sqlite:///{home}/hub.sqlite"
c.JupyterHub.cookie_secret_file = "{home}/cookie_secret"
c.JupyterHub.pid_file = "{home}/hub.pid"
c.ConfigurableHTTPProxy.pid_file = "{home}/proxy.pid"
c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = "{password}"
c.Authenticator.allow_all = True
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = "{home}/homes/{{username}}"
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = {start}
c.Spawner.http_timeout = {start}
c.Spawner.args = ["--allow-root", "--LabApp.expose_app_in_browser=True",
                  "--LabApp.news_url=", "--LabApp.extension_manager=readonly"]
c.Spawner.environment = {{"COURSE_FAST": "1", "COURSE_OFFLINE": "1",
                         "COURSE_THREADS": "1", "COURSE_DATA_DIR": "{home}/data",
                         "MPLBACKEND": "module://matplotlib_inline.backend_inline"}}
"""

# every code cell has run (a stub's check raises, and run-all goes on past a cell
# tagged raises-exception), and the kernel is idle
_ALL_RAN = """() => {
  const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const kernel = panel && panel.sessionContext.session
                 && panel.sessionContext.session.kernel;
  return !!kernel && kernel.status === 'idle' && panel.content.widgets.every(
    c => c.model.type !== 'code' || c.model.executionCount !== null);
}"""
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    """A JupyterHub on 127.0.0.1 and a bare clone of this repository."""
    pytest.importorskip("jupyterhub", reason="pip install -r requirements-hub.txt")
    pytest.importorskip("nbgitpuller", reason="pip install -r requirements-hub.txt")
    home = tmp_path_factory.mktemp("hub")
    (home / "homes").mkdir()
    bare = home / "course.git"
    subprocess.run(["git", "clone", "--quiet", "--bare", str(ROOT), str(bare)],
                   check=True)
    port = _free_port()
    (home / "hub_config.py").write_text(CONFIG.format(
        port=port, hub_port=_free_port(), proxy_port=_free_port(), home=home,
        password=PASSWORD, start=START_S))
    log = open(home / "hub.log", "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, "-m", "jupyterhub", "-f", str(home / "hub_config.py")],
        cwd=home, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for(f"{url}/hub/api", process, home)
        yield {"url": url, "repo": bare.as_uri(), "home": home}
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()  # the hub stops the students' servers as it stops


def _wait_for(url: str, process, home: Path) -> None:
    deadline = time.monotonic() + START_S
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    tail = (home / "hub.log").read_text(errors="replace")[-3000:]
    raise RuntimeError(f"JupyterHub did not start within {START_S} s:\n{tail}")


def _log_in(page, hub: dict, name: str) -> None:
    page.goto(f"{hub['url']}/hub/login", timeout=60_000)
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_url("**/user/**", timeout=START_S * 1000)


def _follow_link(page, hub: dict) -> None:
    """Follow the course's link; nbgitpuller pulls, then opens the notebook."""
    link = hub_url(hub["url"], NOTEBOOK, "student", "en", repo=hub["repo"])
    page.goto(link, timeout=60_000)
    page.wait_for_url(f"**/lab/tree/{HUB_FOLDER}/**", timeout=START_S * 1000)
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell"
                           " && window.jupyterapp.shell.currentWidget"
                           " && window.jupyterapp.shell.currentWidget.sessionContext",
                           timeout=START_S * 1000)


def test_three_students_pull_the_course_and_one_runs_it(hub, chromium, screenshot):
    checkout = {name: hub["home"] / "homes" / name / HUB_FOLDER for name in STUDENTS}
    contexts = []
    try:
        for name in STUDENTS:
            context = chromium.new_context(viewport={"width": 1280, "height": 800})
            contexts.append(context)
            page = context.new_page()
            _log_in(page, hub, name)
            _follow_link(page, hub)
            notebook = checkout[name] / edition_path(NOTEBOOK, "student")
            assert notebook.is_file(), f"{name}: nbgitpuller did not pull {notebook}"
            screenshot(page, f"hub_{name}_opened")
        # the first student runs the notebook she was sent to, to the end
        page = contexts[0].pages[0]
        page.evaluate(RUN_ALL)
        page.wait_for_function(_ALL_RAN, timeout=300_000, polling=1000)
        errors = page.evaluate(ERRORS)
        unexpected = [e for e in errors if not e.startswith(
            ("NotImplementedError", "ExerciseNotDone"))]
        assert not unexpected, f"cells failed on the hub: {unexpected}"
        assert errors, "the student notebook's empty stubs should not pass"
        screenshot(page, "hub_ada_ran")
        # her own work, then the link again: nbgitpuller merges and keeps it
        mine = checkout[STUDENTS[0]] / "notebooks" / "student" / "my_notes.md"
        mine.write_text("my notes\n")
        work = checkout[STUDENTS[0]] / edition_path("04_jensen_and_the_elbo.ipynb",
                                                   "student")
        edited = work.read_text(encoding="utf-8").replace(
            "prediction_4_3 = ...", "prediction_4_3 = 'below'", 1)
        work.write_text(edited, encoding="utf-8")
        _follow_link(page, hub)
        assert mine.read_text() == "my notes\n"
        assert work.read_text(encoding="utf-8") == edited, "her edit was overwritten"
        log = subprocess.run(["git", "-C", str(checkout[STUDENTS[0]]), "log",
                              "--oneline", "-1"], capture_output=True, text=True)
        assert log.returncode == 0, log.stderr
    finally:
        for context in contexts:
            context.close()
