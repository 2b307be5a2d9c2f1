"""Every URL refuses a logged-out visitor: a redirect to the login page, or 401 for APIs.

The test walks the URL conf, so a URL added later is covered without editing it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

# Views that must stay open: the login pages and the liveness probe.
PUBLIC = {"login", "health", "health_worker", "admin:login", "favicon"}  # favicon: a redirect to a public static file
SAMPLE_VALUES = {"int": "1", "path": "x/y.png", "slug": "x", "str": "x", "uuid": "00000000-0000-0000-0000-000000000001"}


def walk(patterns: list[URLPattern | URLResolver], prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str]]:
    for pattern in patterns:
        route = str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}:{pattern.namespace}" if namespace and pattern.namespace else (pattern.namespace or namespace)
            yield from walk(pattern.url_patterns, prefix + route, inner)
        else:
            yield prefix + route, f"{namespace}:{pattern.name}" if namespace else (pattern.name or "")


def concrete(route: str) -> str:
    route = route.lstrip("^").rstrip("$").replace("\\Z", "").replace("\\/", "/")
    route = re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLE_VALUES.get(m.group(1) or "str", "x"), route)
    route = re.sub(r"\(\?P<\w+>[^)]*\)", "1", route)
    return "/" + route.replace("\\", "")


ROUTES = sorted({(concrete(route), name) for route, name in walk(get_resolver().url_patterns) if name not in PUBLIC})


def test_the_walk_finds_the_urls():
    paths = {path for path, _ in ROUTES}
    assert "/" in paths and "/media/x/y.png" in paths and "/admin/" in paths


@pytest.mark.parametrize(("path", "name"), ROUTES)
def test_logged_out_request_is_refused(client, db, path, name):
    for method in (client.get, client.post):
        response = method(path)
        if path.startswith("/api/"):
            assert response.status_code in {401, 403}, (path, name, response.status_code)
        elif path.startswith("/admin/"):
            # Django's admin has its own login page.
            assert response.status_code in {302, 404}, (path, name)
            if response.status_code == 302:
                assert "/login/" in response["Location"]
        else:
            assert response.status_code == 302, (path, name, response.status_code)
            assert response["Location"].startswith("/login/"), (path, name)


def test_media_needs_login_and_stays_inside_the_media_folder(client, annotator, make_image):
    image = make_image()
    url = f"/media/{image.file.name}"
    assert client.get(url).status_code == 302
    client.force_login(annotator)
    assert client.get(url).status_code == 200
    assert client.get("/media/../../etc/passwd").status_code == 404


def test_login_page_is_open(client, db):
    assert client.get("/login/").status_code == 200
