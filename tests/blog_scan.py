"""Where script really runs on a generated blog: every page, read with a real HTML parser
(lxml), compared with a baseline build of clean posts (issue 13, item 4).

A page of the site under test may hold only what the theme itself prints on a clean site
(its own scripts, event handlers and ``javascript:`` links, as the baseline build has them)
and what the posts themselves carry (each ``(tag, attribute)`` pair of a post body). Anything
else (a ``<script>`` the baseline lacks, an ``on…`` attribute, a ``javascript:`` URL, an
executable element, an attribute no clean page and no post has, JSON-LD that no longer parses)
came from content: a title, an image URL or a body that a Hexo filter or the theme turned into
markup.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from lxml import html as lxml_html

#: Elements that run code, load a document or submit data (SPEC section 3's executable list).
EXECUTABLE_TAGS = frozenset(
    {
        "script", "iframe", "frame", "frameset", "object", "embed", "applet", "svg", "math",
        "base", "form", "input", "button", "textarea", "select", "link", "style", "portal",
        "meta",
    }
)  # fmt: skip
URL_ATTRIBUTES = frozenset(
    {
        "href", "src", "action", "formaction", "xlink:href", "data", "poster", "background",
        "cite", "lowsrc", "dynsrc", "longdesc", "manifest", "ping", "srcset", "data-srcset",
    }
)  # fmt: skip
_JS_TYPES = {"", "text/javascript", "application/javascript", "module"}
_SAFE_SCHEMES = {"http", "https", "mailto"}
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")
_INVISIBLE = re.compile(r"[\x00-\x20\x7f]+")
#: Numbers in the theme's inline scripts change per build (``lastupdate: new Date(…)``).
_NUMBER = re.compile(r"\d+")


def _scheme(value: str) -> str | None:
    found = _SCHEME.match(_INVISIBLE.sub("", value).lower())
    return found.group(1) if found else None


def _script_signature(script: lxml_html.HtmlElement) -> tuple[str, str]:
    src = script.get("src")
    return ("src", src) if src is not None else ("inline", _NUMBER.sub("0", script.text or ""))


def _pages(public: Path) -> list[tuple[Path, lxml_html.HtmlElement]]:
    return [
        (page, lxml_html.document_fromstring(page.read_text(encoding="utf-8")))
        for page in sorted(public.rglob("*.html"))
    ]


@dataclass
class Baseline:
    """What a clean build of the theme prints: its scripts, its ``(tag, attribute)`` pairs,
    its element shapes, and the event handlers and odd URLs it writes itself.
    """

    scripts: set[tuple[str, str]] = field(default_factory=set)
    pairs: set[tuple[str, str]] = field(default_factory=set)
    shapes: set[tuple[str, frozenset[str]]] = field(default_factory=set)
    own_values: set[tuple[str, str, str]] = field(default_factory=set)

    @classmethod
    def of_site(cls, public: Path) -> Baseline:
        """The baseline of a generated site's ``public`` folder."""
        baseline = cls()
        for _, doc in _pages(public):
            for element in doc.iter():
                if not isinstance(element.tag, str):
                    continue
                baseline.add(element)
        return baseline

    def add(self, element: lxml_html.HtmlElement) -> None:
        """Record one element of a clean page."""
        if element.tag == "script":
            self.scripts.add(_script_signature(element))
        if element.tag in EXECUTABLE_TAGS:
            self.shapes.add((element.tag, frozenset(element.attrib)))
        for name, value in element.attrib.items():
            self.pairs.add((element.tag, name.lower()))
            self.own_values.add((element.tag, name.lower(), value))


def post_pairs(bodies: Iterable[str]) -> set[tuple[str, str]]:
    """Every ``(tag, attribute)`` pair the post bodies carry: what a post put there itself."""
    pairs = set()
    for body in bodies:
        root = lxml_html.fragment_fromstring(body, create_parent="div")
        for element in root.iter():
            if isinstance(element.tag, str):
                pairs.update((element.tag, name.lower()) for name in element.attrib)
    return pairs


def element_findings(
    element: lxml_html.HtmlElement, baseline: Baseline, allowed_pairs: set[tuple[str, str]]
) -> list[str]:
    """What in one element came from content rather than from the theme (see module doc)."""
    found = []
    tag = element.tag
    if tag == "script":
        kind = (element.get("type") or "").strip().lower()
        if kind == "application/ld+json":
            try:
                json.loads(element.text or "")
            except ValueError:
                found.append(f"<script type=ld+json> broken: {(element.text or '')[:80]!r}")
        elif kind in _JS_TYPES and _script_signature(element) not in baseline.scripts:
            found.append(f"<script> not in the theme: {_script_signature(element)[1][:80]!r}")
    if tag in EXECUTABLE_TAGS and (tag, frozenset(element.attrib)) not in baseline.shapes:
        found.append(f"<{tag} {sorted(element.attrib)}> not in the theme")
    for name, value in element.attrib.items():
        name = name.lower()
        own = (tag, name, value) in baseline.own_values
        if name.startswith("on") and not own:
            found.append(f"{tag}[{name}={value!r}]")
        elif name in URL_ATTRIBUTES and not own:
            scheme = _scheme(value)
            if scheme is not None and scheme not in _SAFE_SCHEMES:
                found.append(f"{tag}[{name}={value!r}]")
        if (tag, name) not in allowed_pairs:
            found.append(f"{tag}[{name}] is in no clean page and no post")
    return found


def site_findings(public: Path, baseline: Baseline, bodies: Iterable[str]) -> dict[str, list[str]]:
    """Every page of ``public`` (post, index, archive, category, tag pages, each with its
    sidebar) → what on it came from content; pages with nothing are left out.
    """
    allowed = baseline.pairs | post_pairs(bodies)
    findings = {}
    for page, doc in _pages(public):
        found = [
            finding
            for element in doc.iter()
            if isinstance(element.tag, str)
            for finding in element_findings(element, baseline, allowed)
        ]
        if found:
            findings[str(page.relative_to(public))] = found
    return findings
