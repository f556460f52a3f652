"""Files vendored from npm (package.json pins them; CI's npm ci installs them) are the very
files of those versions: upgrading is changing the pin and copying again, never editing."""
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"

VENDORED = {
    "static/vendor/jsqr/jsQR.js": "jsqr/dist/jsQR.js",
    "static/vendor/jsqr/LICENSE": "jsqr/LICENSE",
    "registrations/fonts/DejaVuSans.ttf": "dejavu-fonts-ttf/ttf/DejaVuSans.ttf",
    "registrations/fonts/DejaVuSans-Bold.ttf": "dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf",
    "registrations/fonts/LICENSE": "dejavu-fonts-ttf/LICENSE",
}


@pytest.mark.parametrize("ours, theirs", VENDORED.items())
def test_a_vendored_file_is_the_npm_packages_own(ours, theirs):
    assert (NODE_MODULES / theirs).exists(), "run make install-dev (npm ci) first"
    assert (ROOT / ours).read_bytes() == (NODE_MODULES / theirs).read_bytes()
