"""The maintainer tools and the files they read and write: a generated file
changed by hand is kept (``--force`` replaces it after a backup), a notebook
that cannot be read is one line naming it, and the language switch refuses a
language before it changes anything."""

from __future__ import annotations

import os

import pytest

from course_utils.core.errors import ConfigError

# use_language -------------------------------------------------------------------

def test_a_refused_language_leaves_the_previous_one(monkeypatch):
    from course_utils.core.config import check_settings
    from course_utils.core.i18n import language, use_language

    monkeypatch.setenv("COURSE_LANG", "he")
    with pytest.raises(ConfigError, match="COURSE_LANG=fr: expected en or he"):
        use_language("fr")
    assert os.environ["COURSE_LANG"] == "he" and language() == "he"
    assert check_settings()["COURSE_LANG"] == "he"  # what setup() reads
    monkeypatch.delenv("COURSE_LANG")
    with pytest.raises(ConfigError):
        use_language("")
    assert "COURSE_LANG" not in os.environ


def test_use_language_round_trips(monkeypatch):
    from course_utils.core.i18n import language, translate, use_language

    monkeypatch.setenv("COURSE_LANG", "en")
    message = "Exercise 5.1 (the VAE's KL term from log_var): correct."
    assert use_language("he") == "he" and translate(message) != message
    assert use_language("EN") == "en" and language() == "en"
    assert translate(message) == message and os.environ["COURSE_LANG"] == "en"
    assert use_language("he") == "he" and translate(message) != message
