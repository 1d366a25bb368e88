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
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from django.urls.resolvers import RoutePattern
from playwright.sync_api import BrowserContext, Page

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


# One round trip a page, as each costs the walk a few milliseconds: the dangling ids, axe-core's
# violations, and the title and links the walk reads next; null where axe-core is not there yet.
AUDIT = (
    "async () => {"
    " if (typeof axe === 'undefined') return null;"
    f" const dangling = ({DANGLING_REFERENCES})();"
    " const violations = (await axe.run(document, {resultTypes: ['violations']})).violations"
    ".map(v => ({id: v.id, impact: v.impact, help: v.help,"
    " nodes: v.nodes.map(n => ({target: n.target.join(' '),"
    " summary: (n.failureSummary || '').split('\\n').slice(1, 2).join('').trim()}))}));"
    " return {dangling, violations, title: document.title,"
    " links: Array.from(document.querySelectorAll('a[href]'), a => a.href)};"
    "}"
)


@dataclass
class Audited:
    """What the walk reads of a page it audited."""

    title: str
    links: list[str]


def audit(page: Page, walk: Walk, url: str) -> Audited:
    """Axe-core and the page's references, on the page `page` shows; axe-core is injected here
    unless the walk's `with_axe` put it in every page of the context already."""
    found = page.evaluate(AUDIT)
    if found is None:
        page.add_script_tag(path=str(axe_script()))
        found = page.evaluate(AUDIT)
    for reference in found["dangling"]:
        walk.violations.append(f"{walk.who} {url}: an id that is not on the page: {reference}")
    for violation in found["violations"]:
        for node in violation["nodes"]:
            walk.violations.append(
                f"{walk.who} {url}: {violation['id']} ({violation['impact']}, "
                f"{violation['help']}) at `{node['target']}`: {node['summary']}"
            )
    return Audited(title=found["title"], links=found["links"])


def with_axe(context: BrowserContext) -> BrowserContext:
    """Axe-core in every page the context opens, before the page's own scripts: sent to the
    browser once, where a script tag per page cost ~0.3 s of a walk's ~1.3 s a page."""
    context.add_init_script(path=axe_script())
    return context


def landing(client: Client, url: str) -> str | None:
    """Where the browser would land from `url`, if it is a page of HTML for the client's user
    (the browser's, by the same session cookie): a download, a refusal (403, 405) or an error is
    no page of theirs. Asked in process (~35 ms), it spares the browser a navigation (~250 ms)
    to each of the many links a walk meets that lead nowhere it audits."""
    response = client.get(url, follow=True)
    response.close()
    if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
        return None
    if "attachment" in response.get("Content-Disposition", ""):
        return None
    path, query = str(response.request["PATH_INFO"]), str(response.request.get("QUERY_STRING", ""))
    return path + (f"?{query}" if query else "")


def links_of(html: str) -> list[str]:
    """The links of a page fetched without the browser (`harvest` in the test)."""
    return [unescape(href) for href in re.findall(r'<a [^>]*href="([^"]+)"', html)]


def walk_pages(
    page: Page,
    client: Client,
    walk: Walk,
    *,
    origin: str,
    starts: Iterable[str],
    skip: Iterable[str] = (),
) -> Walk:
    """Audit every page type (`page_type`) reachable from `starts` for the visitor of `page`
    and `client` (logged in as the same user, or both anonymous; `origin`: the server's host
    and port, links elsewhere are not followed), except the URL names in `skip` (audited by
    another walk already). The browser opens only what `landing` finds to be a page of theirs
    of a type not audited yet."""
    queued: set[str] = set(skip)
    done: set[str] = set(skip)
    todo: deque[str] = deque()

    def enqueue(href: str) -> None:
        parts = urlsplit(href)
        if parts.scheme not in {"", "http", "https"} or (parts.netloc and parts.netloc != origin):
            return
        if PurePosixPath(parts.path).suffix:
            return  # a file (`record.pdf`, `ledger.csv`: the register's PDF takes ~2 s to make)
        name, kind = url_name(parts.path), page_type(parts.path)
        if name is None or kind is None or not walked(name) or kind in queued:
            return
        queued.add(kind)
        todo.append(parts.path + (f"?{parts.query}" if parts.query else ""))

    with_axe(page.context)
    for start in starts:
        enqueue(start)
    while todo:
        url = todo.popleft()
        assert len(walk.audited) < PAGE_LIMIT, f"{walk.who}: more than {PAGE_LIMIT} page types"
        lands = landing(client, url)
        if lands is None or page_type(urlsplit(lands).path) in done:
            continue  # not one of their pages, or one audited already (the login page, a list)
        response = page.goto(url)
        assert response is not None and response.status == 200, f"{walk.who} {url}: {response}"
        landed = urlsplit(page.url)
        name, kind = url_name(landed.path), page_type(landed.path)
        assert name is not None and kind is not None and kind not in done, page.url
        done.add(kind)
        queued.add(kind)
        where = landed.path + (f"?{landed.query}" if landed.query else "")
        seen = audit(page, walk, where)
        suffix = ADMIN_TITLE_SUFFIX if name.startswith("admin:") else TITLE_SUFFIX
        if problem := title_problem(seen.title, suffix):
            walk.violations.append(f"{walk.who} {landed.path}: the title {problem}")
        walk.audited.append(f"{name} {landed.path}")
        for href in seen.links:
            enqueue(href)
    return walk
