"""nbgitpuller links for a lecturer's JupyterHub (issue 28): each opens one
notebook of one edition, in either language, from a named branch."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from course_utils.tools import hub
from course_utils.tools.links import hub_url
from course_utils.tools.notebooks import PublishError, lecturer_notebooks


def _query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def test_a_hub_link_pulls_the_course_and_opens_the_notebook():
    url = hub_url("https://hub.example.edu/", "05_gaussian_kl.ipynb", "student", "he")
    assert url.startswith("https://hub.example.edu/hub/user-redirect/git-pull?")
    query = _query(url)
    assert query == {
        "repo": "https://github.com/dgm-course/deep-generative-models",
        "branch": "main",  # always named: the remote's default may differ
        "targetpath": "deep-generative-models",
        "urlpath": "lab/tree/deep-generative-models/notebooks/hebrew/student/"
                   "05_gaussian_kl.ipynb"}
    lecturer = _query(hub_url("http://127.0.0.1:8000", "05_gaussian_kl.ipynb",
                              "lecturer", "en", repo="file:///srv/course.git",
                              branch="spring"))
    assert lecturer["urlpath"].endswith("deep-generative-models/notebooks/"
                                        "05_gaussian_kl.ipynb")
    assert lecturer["repo"] == "file:///srv/course.git"
    assert lecturer["branch"] == "spring"


@pytest.mark.parametrize("hub_address, edition, language", [
    ("hub.example.edu", "student", "en"),  # no scheme
    ("https://hub.example.edu", "teacher", "en"),
    ("https://hub.example.edu", "student", "fr"),
])
def test_a_wrong_hub_link_request_is_one_clear_message(hub_address, edition,
                                                        language):
    with pytest.raises(PublishError):
        hub_url(hub_address, "05_gaussian_kl.ipynb", edition, language)


def test_the_table_lists_every_notebook_and_the_command_says_what_is_wrong(capsys):
    table = hub.link_table("https://hub.example.edu", "student", "en").split("\n")
    assert len(table) == 2 + len(lecturer_notebooks())
    assert all("notebooks/student/" in row for row in table[2:])
    assert hub.main(["https://hub.example.edu", "--lang", "he"]) == 0
    assert "notebooks/hebrew/student/00_start_here.ipynb" in capsys.readouterr().out
    assert hub.main(["hub.example.edu"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "https://" in error
