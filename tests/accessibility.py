"""The accessibility run's tools: axe-core, injected by Playwright, and a
walk that finds the pages by itself.

axe-core comes from the npm registry, pinned by `tests/js/package-lock.json` and installed
into `tests/js/node_modules` by `make install` (`npm ci`); `axe_script()` runs the same
`npm ci` when a fresh clone's suite starts without it.

The walk needs no list of pages: it starts from the home page, every link of the navigation
and every URL pattern without arguments, and follows the links of each page it audits, one
page per URL name (the first link found of `subjects:detail` stands for every person's page),
so a page added to the URL conf or linked from an existing page is audited the day it lands.

The Django admin is walked through its links (the Admin's navigation leads to its index, which
links every model). Its changelists, change forms, histories and delete confirmations are one
template each over a model's fields: one page of each kind stands for all of them (every
model's would add two minutes to the Admin's walk), while every model's add form is audited,
its widgets being the ones an Admin fills in.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from django.urls.resolvers import RoutePattern
from playwright.sync_api import Page, Route

from core.checks import iter_patterns
from core.permissions import PUBLIC_KEYS, declared_permission

JS_TOOLS = Path(__file__).resolve().parent / "js"
AXE = JS_TOOLS / "node_modules" / "axe-core" / "axe.min.js"
ON_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

# URL names never opened by the walk, each for a reason: they change state on GET or end the
# session, answer machines rather than people (the admin's translations script and
# autocomplete answers), or only redirect to a portal page (the admin's "view on site").
NOT_WALKED = frozenset(
    {
        "logout",
        "set_language",
        "health",
        "system_task_callback",
        "requests_public:verify",
        "consent_public:subscribe_confirm",
        "admin:logout",
        "admin:jsi18n",
        "admin:autocomplete",
        "admin:view_on_site",
    }
)
# The admin views whose pages share one template whatever the model (see the module's doc).
ADMIN_SHARED_VIEWS = frozenset({"changelist_view", "change_view", "history_view", "delete_view"})
# Enough for every page type of a role today (DPO ~45) with room to grow; a walk that hits it
# fails, so a new page is never silently left out.
PAGE_LIMIT = 120


def axe_script() -> Path:
    """axe-core's script, installed with `npm ci` if this checkout has not yet."""
    if not AXE.exists() and shutil.which("npm"):
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=JS_TOOLS,
            check=True,
            timeout=300,
        )
    if not AXE.exists():
        if ON_CI:
            raise RuntimeError(f"CI needs axe-core at {AXE}: run `make install` (needs npm)")
        pytest.skip("axe-core is not installed (npm ci in tests/js); CI runs this")
    return AXE


def _patterns(
    patterns: Iterable[URLPattern | URLResolver], prefix: str = "", namespace: str = ""
) -> Iterator[tuple[str, str, bool]]:
    """(route, URL name, takes arguments) of every URL pattern."""
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        has_arguments = not isinstance(pattern.pattern, RoutePattern) or bool(
            pattern.pattern.converters
        )
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace or ""
            if not has_arguments:
                yield from _patterns(pattern.url_patterns, route, inner.strip(":"))
            continue
        name = f"{namespace}:{pattern.name}" if namespace else pattern.name or ""
        yield route, name, has_arguments


def pages_without_arguments() -> list[str]:
    """The path of every named URL pattern that takes no argument, those walked only; of the
    admin's, its index (the others follow from its links: as starts, every staff walk would
    open each model's only to be sent to the admin's login)."""
    return [
        "/" + route
        for route, name, has_arguments in _patterns(get_resolver().url_patterns)
        if name
        and not has_arguments
        and walked(name)
        and (not name.startswith("admin:") or name == "admin:index")
    ]


def public_page_names() -> set[str]:
    """The URL names of the pages anyone may open (a data subject's): the visitor's walk
    audits them, so a staff member's walk passes them by."""
    return {
        ":".join([*app_names, pattern.name])
        for _, pattern, app_names in iter_patterns(get_resolver().url_patterns)
        if pattern.name and declared_permission(pattern.callback, app_names) in PUBLIC_KEYS
    }


TITLE_SUFFIX = " · PrivacyOps"
# Django's admin titles its pages its own way (core.admin_site.PrivacyOpsAdminSite.site_title).
ADMIN_TITLE_SUFFIX = " | PrivacyOps admin"


def title_problem(title: str, suffix: str = TITLE_SUFFIX) -> str | None:
    """What is wrong with a page's browser-tab title, if anything: it is plain text (markup
    typed into the title block shows as typed) and names the page, not only the portal."""
    title = " ".join(title.split())  # as the browser shows it
    if any(mark in title for mark in "<>{}"):
        return f"is not plain text: {title[:80]!r}"
    page = title.removesuffix(suffix).strip()
    if not title.endswith(suffix) or not page or page == "PrivacyOps":
        return f"does not name the page: {title!r}"
    return None


def walked(name: str) -> bool:
    return name not in NOT_WALKED


def url_name(path: str) -> str | None:
    try:
        return resolve(path).view_name
    except Resolver404:
        return None


def page_type(path: str) -> str | None:
    """What the walk audits once: a URL name, or one of the admin's shared views."""
    try:
        match = resolve(path)
    except Resolver404:
        return None
    if match.namespace == "admin" and match.func.__name__ in ADMIN_SHARED_VIEWS:
        return f"admin:{match.func.__name__}"
    return match.view_name


@dataclass
class Walk:
    """What one visitor's walk audited, and what axe found there."""

    who: str
    audited: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)

    @property
    def names(self) -> set[str]:
        return {entry.split()[0] for entry in self.audited}


# Axe passes an aria-describedby naming an id the page lacks (Django names a field's help text
# `<id>_helptext` and its errors `<id>_error` in the input whether the template gives them
# those ids or not): the input's description is then silent to a screen reader. Every id a
# description, a label or a `<label for>` names must be on the page. (A hidden input carries
# its field's reference too, from Django's `as_hidden`, but no one is told about it.)
DANGLING_REFERENCES = """() => {
  const found = [];
  const described = "[aria-describedby]:not([type=hidden]), [aria-labelledby]";
  for (const element of document.querySelectorAll(described)) {
    for (const attribute of ["aria-describedby", "aria-labelledby"]) {
      for (const id of (element.getAttribute(attribute) || "").split(/\\s+/)) {
        if (id && !document.getElementById(id)) {
          found.push(`${attribute}="${id}" of ${element.outerHTML.slice(0, 90)}`);
        }
      }
    }
  }
  for (const label of document.querySelectorAll("label[for]")) {
    if (!document.getElementById(label.htmlFor)) {
      found.push(`<label for="${label.htmlFor}"> (${label.textContent.trim().slice(0, 40)})`);
    }
  }
  return found;
}"""


def audit(page: Page, walk: Walk, url: str) -> None:
    for reference in page.evaluate(DANGLING_REFERENCES):
        walk.violations.append(f"{walk.who} {url}: an id that is not on the page: {reference}")
    page.add_script_tag(path=str(axe_script()))
    found = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => ({target: n.target.join(' '),"
        " summary: (n.failureSummary || '').split('\\n').slice(1, 2).join('').trim()}))}))"
    )
    for violation in found:
        for node in violation["nodes"]:
            walk.violations.append(
                f"{walk.who} {url}: {violation['id']} ({violation['impact']}, "
                f"{violation['help']}) at `{node['target']}`: {node['summary']}"
            )


NOT_STATIC = re.compile(r"^(?!.*/static/)")


def _no_downloads(route: Route) -> None:
    """A link to a CSV or PDF would start a download, which aborts the navigation, and an
    error with an empty body (405 to a GET) fails it: such answers reach the browser as a text
    page instead, which the walk passes by."""
    if not route.request.is_navigation_request():
        route.continue_()
        return
    response = route.fetch(max_redirects=0)
    headers = response.headers
    if response.status == 200 and (
        "text/html" not in headers.get("content-type", "")
        or "attachment" in headers.get("content-disposition", "")
    ):
        route.fulfill(status=200, content_type="text/plain", body="")
    elif response.status >= 400:
        route.fulfill(status=response.status, content_type="text/plain", body="refused")
    else:
        route.fulfill(response=response)


def links_of(html: str) -> list[str]:
    """The links of a page fetched without the browser (`harvest` in the test)."""
    return [unescape(href) for href in re.findall(r'<a [^>]*href="([^"]+)"', html)]


def walk_pages(
    page: Page,
    walk: Walk,
    *,
    origin: str,
    starts: Iterable[str],
    skip: Iterable[str] = (),
) -> Walk:
    """Audit every page type (`page_type`) reachable from `starts` for the logged-in visitor
    of `page` (`origin`: the server's host and port; links elsewhere are not followed), except
    the URL names in `skip` (audited by another walk already)."""
    queued: set[str] = set(skip)
    done: set[str] = set(skip)
    todo: deque[str] = deque()

    def enqueue(href: str) -> None:
        parts = urlsplit(href)
        if parts.scheme not in {"", "http", "https"} or (parts.netloc and parts.netloc != origin):
            return
        name, kind = url_name(parts.path), page_type(parts.path)
        if name is None or kind is None or not walked(name) or kind in queued:
            return
        queued.add(kind)
        todo.append(parts.path + (f"?{parts.query}" if parts.query else ""))

    # Stylesheets, scripts and fonts go straight to the server, not through the handler.
    page.route(NOT_STATIC, _no_downloads)
    for start in starts:
        enqueue(start)
    while todo:
        url = todo.popleft()
        assert len(walk.audited) < PAGE_LIMIT, f"{walk.who}: more than {PAGE_LIMIT} page types"
        response = page.goto(url)
        if response is None or response.status != 200:
            continue  # refused to this visitor (403, 405) or gone: not one of their pages
        if "text/html" not in (response.headers.get("content-type") or ""):
            continue
        landed = urlsplit(page.url)
        name, kind = url_name(landed.path), page_type(landed.path)
        if name is None or kind is None or kind in done:
            continue  # redirected to a page already audited (the login page, a list)
        done.add(kind)
        queued.add(kind)
        audit(page, walk, landed.path + (f"?{landed.query}" if landed.query else ""))
        suffix = ADMIN_TITLE_SUFFIX if name.startswith("admin:") else TITLE_SUFFIX
        if problem := title_problem(page.title(), suffix):
            walk.violations.append(f"{walk.who} {landed.path}: the title {problem}")
        walk.audited.append(f"{name} {landed.path}")
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)"):
            enqueue(href)
    return walk
