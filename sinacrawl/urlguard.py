"""Which URLs sinacrawl may request at all (issue 13 items 6 and 7, issue 11 item 8).

sinacrawl reads one site it does not control. A URL it did not build itself (a feed entry, a
redirect's ``Location``, a ``<meta http-equiv=refresh>``, a request queued in a shared Redis)
must never make it fetch a local file, a cloud metadata service (``169.254.169.254``), a
private address or a service on the crawler's own host (scrapyd on ``127.0.0.1:6800``).
:func:`url_problem` is the one rule; :class:`~sinacrawl.middlewares.RequestGuardMiddleware`
applies it to every request before any download.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import NamedTuple
from urllib.parse import urlsplit

__all__ = ["IMAGE_REQUEST", "SINA_DOMAINS", "UrlProblem", "url_problem"]

#: The domains sinacrawl requests, each with its subdomains: ``finance.sina.com.cn`` (articles),
#: ``feed.mix.sina.com.cn`` (the roll feed), ``*.sina.cn`` (Sina's mobile pages). The setting
#: ``SINACRAWL_EXTRA_DOMAINS`` adds to it, never replaces it.
SINA_DOMAINS: tuple[str, ...] = ("sina.com.cn", "sina.cn")
#: The schemes sinacrawl requests; Scrapy's ``file``, ``data``, ``s3`` and ``ftp`` download
#: handlers are off as well (``DOWNLOAD_HANDLERS`` in the settings).
SCHEMES = ("http", "https")
#: ``Request.meta`` key (bool) that marks a request of the images pipeline
#: (:class:`~sinacrawl.images.LocalImagesPipeline`, issue 15 item 1): only such a request may
#: go to ``SINACRAWL_IMAGE_HOSTS`` (Sina's image CDN, which also hosts users' uploads), so
#: that no article, feed page or redirect of one lands there.
IMAGE_REQUEST = "sinacrawl_image"


class UrlProblem(NamedTuple):
    """Why a URL is refused: ``reason`` (a stat key part: ``scheme``, ``malformed``,
    ``ip_address``, ``offsite``) and ``detail`` (words for the log line).
    """

    reason: str
    detail: str


def _ip_kind(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    for kind in ("loopback", "link_local", "private", "multicast", "reserved", "unspecified"):
        if getattr(address, f"is_{kind}"):
            return kind.replace("_", "-")
    return "literal"


def url_problem(url: str, domains: Iterable[str] = SINA_DOMAINS) -> UrlProblem | None:
    """Why ``url`` must not be requested, or ``None`` when it may be.

    A URL may be requested when it is ``http``/``https``, has a well-formed host and port and
    no ``user:password@``, carries no control character, space or backslash (a URL with one is
    read differently by different parsers), and its host is one of ``domains`` or a subdomain
    (a trailing dot and letter case do not matter). An IP address is never a Sina host, so
    ``10.0.0.5``, ``169.254.169.254`` or ``[::1]`` are refused as ``ip_address`` whatever
    ``domains`` holds. Host names are not resolved here: Sina's DNS is trusted.

    >>> url_problem("https://finance.sina.com.cn/china/doc-ia.shtml") is None
    True
    >>> url_problem("http://169.254.169.254/latest/meta-data/")
    UrlProblem(reason='ip_address', detail='169.254.169.254 is a link-local IP address')
    >>> url_problem("file:///etc/passwd").reason
    'scheme'
    >>> url_problem("https://finance.sina.com.cn.evil.example/a").detail
    'finance.sina.com.cn.evil.example is not a Sina host'
    """
    if any(ord(char) <= 0x20 or ord(char) == 0x7F or char == "\\" for char in url):
        return UrlProblem("malformed", "control character, space or backslash in the URL")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - parsing the port is the check
    except ValueError as exc:
        return UrlProblem("malformed", str(exc))
    if parts.scheme not in SCHEMES:
        return UrlProblem("scheme", "not an http(s) URL")
    if "@" in parts.netloc:
        return UrlProblem("malformed", "user name or password in the URL")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        return UrlProblem("malformed", "no host")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return UrlProblem("ip_address", f"{host} is a {_ip_kind(address)} IP address")
    if not any(host == d or host.endswith("." + d) for d in (d.lower() for d in domains)):
        return UrlProblem("offsite", f"{host} is not a Sina host")
    return None
