"""The Spanish and Basque catalogs are complete: no string untranslated or fuzzy, none that
makemessages would add, and the compiled .mo files match their .po files."""
import pathlib
import shutil
import subprocess
import sys

import pytest
from django.conf import settings

ROOT = pathlib.Path(settings.BASE_DIR)
LANGUAGES = ["es", "eu"]
# What makemessages reads: the code and templates, not the virtualenv or the tests.
SOURCES = ["manage.py", "s3days", "agenda", "registrations", "networking", "templates", "static", "locale"]


def catalog(language):
    return ROOT / "locale" / language / "LC_MESSAGES" / "django.po"


def entries(po_file, *options):
    """The msgids msgattrib keeps with these options (e.g. --untranslated), header left out."""
    result = subprocess.run(["msgattrib", *options, "--no-wrap", str(po_file)], capture_output=True, text=True,
                            check=True)
    return [line for line in result.stdout.splitlines() if line.startswith("msgid ") and line != 'msgid ""']


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_string_is_translated_and_none_is_fuzzy(language):
    assert entries(catalog(language), "--untranslated") == []
    assert entries(catalog(language), "--only-fuzzy") == []
    assert len(entries(catalog(language))) > 100  # a catalog that holds the app's strings


def test_makemessages_would_add_no_string_the_catalogs_lack(tmp_path):
    for name in SOURCES:
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, tmp_path / name)
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "--no-location", *[f"-l{language}" for language in LANGUAGES]],
        cwd=tmp_path, check=True, capture_output=True, env={**__import__("os").environ, "DEBUG": "1"},
    )
    for language in LANGUAGES:
        fresh = set(entries(tmp_path / "locale" / language / "LC_MESSAGES" / "django.po"))
        assert fresh - set(entries(catalog(language))) == set(), f"{language}: run `make messages`"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalog_matches_its_po_file(language, tmp_path):
    compiled = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check", "-o", str(compiled), str(catalog(language))], check=True)
    assert compiled.read_bytes() == catalog(language).with_suffix(".mo").read_bytes(), "run `make messages`"
