"""Shared fixtures: users in each role and pictures made on the fly."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterator

import numpy as np
import pytest
from PIL import Image as PILImage

from accounts.users import create_user_with_role
from annotations.ingest import ingest_image
from annotations.models import Image
from tests.browser_fixtures import SharedChromium

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):  # type: ignore[no-untyped-def]
    """Each test writes its media into its own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):  # type: ignore[no-untyped-def]
    """Real password hashing costs about a second per user; tests do not need its strength."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _login_lockout_off(settings):  # type: ignore[no-untyped-def]
    """django-axes needs the request in ``authenticate``, which the test client's ``login()`` does not pass.

    Tests of the lockout itself turn it back on (``settings.AXES_ENABLED = True``) and log in
    through the login page, as a browser does; servers started by tests keep it on.
    """
    settings.AXES_ENABLED = False


@pytest.fixture(autouse=True)
def _statistics_counted_afresh():  # type: ignore[no-untyped-def]
    """The statistics summary the web process keeps must not carry one test's library into the next."""
    from annotations.stats import forget_summary

    forget_summary()
    yield
    forget_summary()


@pytest.fixture
def engineer_client(client, engineer):  # type: ignore[no-untyped-def]
    """The Django test client, signed in as the engineer (pages that check the role, not the login)."""
    client.force_login(engineer)
    return client


@pytest.fixture
def annotator(db):  # type: ignore[no-untyped-def]
    return create_user_with_role("anna", PASSWORD, "annotator")


@pytest.fixture
def engineer(db):  # type: ignore[no-untyped-def]
    return create_user_with_role("erik", PASSWORD, "engineer")


@pytest.fixture
def admin_user(db):  # type: ignore[no-untyped-def]
    return create_user_with_role("ada", PASSWORD, "admin")


def zipped(files: dict[str, bytes], name: str = "upload.zip") -> io.BytesIO:
    """A zip of ``files`` (entry name -> bytes) as a browser uploads it, named ``name``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        for entry, data in files.items():
            bundle.writestr(entry, data)
    buffer.seek(0)
    buffer.name = name
    return buffer


def alias_bomb(key: str, levels: int = 8) -> str:
    """A few hundred bytes of YAML whose aliases nest 9**levels strings once written out."""
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, levels + 1)]
    return "\n".join([*lines, f"{key}: *a{levels}"])


def png_bytes(width: int = 64, height: int = 48, seed: int = 0, mode: str = "RGB") -> bytes:
    """A small grey picture stored as RGB (or another mode), different for each seed."""
    rng = np.random.default_rng(seed)
    if mode == "I;16":
        grey16 = rng.integers(1000, 60000, size=(height, width), dtype=np.uint16)
        picture = PILImage.fromarray(grey16)
    else:
        grey = rng.integers(0, 255, size=(height, width), dtype=np.uint8)
        picture = PILImage.fromarray(grey, mode="L").convert(mode)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def make_image(db) -> Callable[..., Image]:  # type: ignore[no-untyped-def]
    counter = iter(range(10_000))

    def make(name: str | None = None, width: int = 64, height: int = 48, wire_group: str = "") -> Image:
        index = next(counter)
        return ingest_image(png_bytes(width, height, seed=index), name or f"w{index:03d}_TOP.png", wire_group=wire_group).image

    return make


@pytest.fixture(scope="session")
def shared_chromium() -> Iterator[SharedChromium]:
    """The test process's one Playwright driver and Chromium, behind ``tests.browser_fixtures.chromium`` (defined here,
    once: a session fixture imported into each browser test module would be one per module)."""
    shared = SharedChromium()
    yield shared
    shared.stop()
