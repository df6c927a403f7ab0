"""A real Hexo site built from sinacrawl's posts, for tests/test_hexo.py.

The Hexo packages are pinned by ``tests/hexo/package.json`` + ``package-lock.json`` and installed
with ``npm ci`` into ``tests/hexo/node_modules`` (ignored by git), once: later runs reuse it while
every package there has its locked version. A site is a temporary folder holding ``_config.yml``,
``source/_posts/``, the theme and a ``node_modules`` link to that install; ``hexo generate`` is
run the way a user runs it, with hexo-cli from the install.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from lxml import html as lxml_html

from tests.conftest import ROOT

HEXO = ROOT / "tests" / "hexo"
NODE_MODULES = HEXO / "node_modules"
LOCK = HEXO / "package-lock.json"
NPM_CI = ["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts"]

_VERSION = re.compile(r"(\d+)\.(\d+)\.(\d+)")


def _missing(reason: str) -> None:
    """Fail under CI (which has node and npm), skip with ``reason`` elsewhere."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true but {reason}; CI must have node and npm (see README, Hexo check)")
    pytest.skip(f"{reason}: the Hexo check needs node and npm (README, Hexo check)")


def _version(text: str) -> tuple[int, int, int]:
    found = _VERSION.search(text)
    assert found, f"no version number in {text!r}"
    major, minor, patch = found.groups()
    return int(major), int(minor), int(patch)


def require_node() -> None:
    """node and npm on PATH, node at least what the locked hexo's ``engines`` asks."""
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            _missing(f"{tool} is not on PATH")
    wanted = json.loads(LOCK.read_text(encoding="utf-8"))["packages"]["node_modules/hexo"]
    floor = wanted["engines"]["node"]
    node = subprocess.run(
        ["node", "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    if _version(node) < _version(floor):
        _missing(f"node {node} is older than hexo {wanted['version']} needs ({floor})")


def install_matches_lock(folder: Path) -> bool:
    """Every package of ``folder``'s lock file (optional ones aside) is in its node_modules at
    its version."""
    lock = json.loads((folder / "package-lock.json").read_text(encoding="utf-8"))
    for where, meta in lock["packages"].items():
        if not where or meta.get("optional"):
            continue
        manifest = folder / where / "package.json"
        if not manifest.exists():
            return False
        if json.loads(manifest.read_text(encoding="utf-8")).get("version") != meta["version"]:
            return False
    return True


def npm_install(folder: Path) -> None:
    """node and npm present (else skip, or fail under CI); ``npm ci`` in ``folder`` unless its
    node_modules already holds exactly its lock file."""
    require_node()
    if install_matches_lock(folder):
        return
    result = subprocess.run(
        NPM_CI, cwd=folder, capture_output=True, text=True, timeout=600, check=False
    )
    assert result.returncode == 0, f"{' '.join(NPM_CI)} failed:\n{result.stderr[-3000:]}"
    assert install_matches_lock(folder), f"npm ci left {folder}/node_modules unlike its lock"


def install() -> None:
    """``npm ci`` in ``tests/hexo`` unless node_modules already holds exactly the lock."""
    npm_install(HEXO)


def make_site(base: Path, theme: str, posts: dict[str, Path], description: str = "") -> Path:
    """A Hexo site in ``base``: ``theme`` is ``check`` (tests/hexo/theme) or an npm theme
    (``volantis``); ``posts`` maps a folder name under ``source/_posts`` to a folder of ``.md``.
    """
    pinned = json.loads((HEXO / "package.json").read_text(encoding="utf-8"))["dependencies"]
    plugins = ["hexo", "hexo-renderer-marked"]
    if theme != "check":  # a real theme lays out the index, archive, category and tag pages
        plugins += [name for name in pinned if name.startswith("hexo-generator-")]
    base.mkdir(parents=True)
    (base / "node_modules").symlink_to(NODE_MODULES, target_is_directory=True)
    package = {
        "name": "sinacrawl-hexo-site",
        "private": True,
        "hexo": {"version": pinned["hexo"]},
        "dependencies": {name: pinned[name] for name in plugins},
    }
    (base / "package.json").write_text(json.dumps(package, indent=2), encoding="utf-8")
    config = (HEXO / "_config.yml").read_text(encoding="utf-8")
    config = config.replace("theme: check", f"theme: {theme}")
    if description:
        config += f"description: {description}\n"
    (base / "_config.yml").write_text(config, encoding="utf-8")
    if theme == "check":
        shutil.copytree(HEXO / "theme", base / "themes" / "check")
    for name, folder in posts.items():
        target = base / "source" / "_posts" / name
        target.mkdir(parents=True)
        for post in folder.glob("*.md"):
            shutil.copyfile(post, target / post.name)
    return base


def generate(site: Path) -> subprocess.CompletedProcess[str]:
    """``hexo generate`` in ``site``, hexo-cli from the install first on PATH (Volantis's own
    environment check runs ``hexo -v``); output captured, colours off.
    """
    env = dict(os.environ)
    env["PATH"] = f"{NODE_MODULES / '.bin'}{os.pathsep}{env.get('PATH', '')}"
    env["NO_COLOR"] = "1"
    env.pop("FORCE_COLOR", None)
    return subprocess.run(
        ["hexo", "generate"],
        cwd=site,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@dataclass(frozen=True)
class HexoPost:
    """What the check theme printed for one post: the front matter as Hexo parsed it (strings;
    ``date`` and ``updated`` ISO 8601 UTC from moment's ``toISOString``; ``updated`` is the
    file's mtime when the post has no ``updated`` key), the categories as Hexo nested them
    (root first), the tags in order, Hexo's ``excerpt`` as HTML text (what precedes
    ``<!-- more -->`` in the rendered content, ``""`` without one: a ``<div>`` of the body left
    open) and the rendered ``content`` element; ``page`` is the generated file.
    """

    page: Path
    source: str
    title: str
    date: str
    categories: tuple[str, ...]
    headimg: str
    thumbnail: str
    author: str
    comments: str
    updated: str
    tags: tuple[str, ...]
    description: str
    excerpt: str
    content: lxml_html.HtmlElement


def _category_chain(items: list[lxml_html.HtmlElement]) -> tuple[str, ...]:
    """Hexo's categories of one post, root first, following each one's parent id."""
    by_parent = {item.get("data-parent"): item for item in items}
    chain: list[str] = []
    parent = ""
    while parent in by_parent and len(chain) < len(items):
        item = by_parent[parent]
        chain.append(item.text_content())
        parent = item.get("data-id")
    assert len(chain) == len(items), f"categories are not one chain: {lxml_html.tostring(items[0])}"
    return tuple(chain)


def read_posts(site: Path) -> dict[str, HexoPost]:
    """Every post page the check theme generated, by Hexo's ``source`` (``_posts/x/y.md``)."""
    posts = {}
    for page in sorted((site / "public").rglob("*.html")):
        doc = lxml_html.document_fromstring(page.read_text(encoding="utf-8"))
        if not doc.xpath("//dl[@id='front-matter']"):
            continue

        def field(name: str, doc: lxml_html.HtmlElement = doc) -> str:
            (node,) = doc.xpath(f"//*[@id='{name}']")
            return str(node.text_content())

        source = field("source")
        posts[source] = HexoPost(
            page=page,
            source=source,
            title=field("title"),
            date=field("date"),
            categories=_category_chain(doc.xpath("//ul[@id='categories']/li")),
            headimg=field("headimg"),
            thumbnail=field("thumbnail"),
            author=field("author"),
            comments=field("comments"),
            updated=field("updated"),
            tags=tuple(str(li.text_content()) for li in doc.xpath("//ul[@id='tags']/li")),
            description=field("description"),
            excerpt=field("excerpt"),
            content=doc.xpath("//article[@id='content']")[0],
        )
    return posts
