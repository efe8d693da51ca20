"""Code and data links (GitHub, GitLab, Hugging Face, Zenodo...) and licences, from text and URLs."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from .record import MAX_URL, UNKNOWN

_URL_IN_TEXT = re.compile(
    r"(?:https?://)?(?:www\.)?(?:github\.com|gitlab\.com|huggingface\.co|hf\.co|zenodo\.org|doi\.org/10\.5281|"
    r"bitbucket\.org|codeberg\.org)/[^\s<>\"'(){}\[\]]+",
    re.I,
)
_SEGMENT = re.compile(r"^[A-Za-z0-9_.\-]+$")
_HF_SECTIONS = {"datasets", "spaces"}
_HF_NOT_REPOS = {"papers", "docs", "blog", "learn", "models", "pricing", "login", "join", "settings", "collections"}
_GITHUB_NOT_OWNERS = {"features", "about", "orgs", "topics", "marketplace", "pricing", "sponsors", "settings", "login"}


def urls_in_text(text: str) -> list[str]:
    """The code-host URLs written out in `text` (a `\\texttt{github.com/x/y}`, a bare URL)."""
    return [m.group(0).rstrip(".,;:") for m in _URL_IN_TEXT.finditer(text)]


def code_link(url: str) -> tuple[str, str] | None:
    """`(normalised URL, kind)` when `url` names a repository, model, data
    set or archive on a known host; `None` otherwise."""
    url = url.strip()
    if len(url) > MAX_URL or any(c.isspace() for c in url):
        return None
    if "://" not in url:
        if re.match(r"[a-z][a-z0-9+.\-]*:", url, re.I):  # `javascript:`, `mailto:`...
            return None
        url = "https://" + url
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or port not in (None, 80, 443) or "@" in parts.netloc:
        return None
    host = (parts.hostname or "").lower().removeprefix("www.")
    segments = [s for s in parts.path.split("/") if s]
    if not all(_SEGMENT.match(s) for s in segments[:4]):
        return None
    if host == "github.com" and len(segments) >= 2 and segments[0].lower() not in _GITHUB_NOT_OWNERS:
        return f"https://github.com/{segments[0]}/{segments[1].removesuffix('.git')}", "github"
    if host in ("gitlab.com", "codeberg.org", "bitbucket.org") and len(segments) >= 2:
        path = []
        for segment in segments[: 4 if host == "gitlab.com" else 2]:  # GitLab nests groups; `-` starts a page
            if segment == "-":
                break
            path.append(segment)
        if len(path) >= 2:
            path[-1] = path[-1].removesuffix(".git")
            return f"https://{host}/{'/'.join(path)}", host.split(".")[0]
    if host in ("huggingface.co", "hf.co") and segments:
        section = [segments[0]] if segments[0] in _HF_SECTIONS else []
        rest = segments[len(section) :]
        if len(rest) >= 2 and rest[0].lower() not in _HF_NOT_REPOS:
            return f"https://huggingface.co/{'/'.join([*section, *rest[:2]])}", "huggingface"
    if host == "zenodo.org" and len(segments) >= 2 and segments[0] in ("record", "records") and segments[1].isdigit():
        return f"https://zenodo.org/records/{segments[1]}", "zenodo"
    if host in ("doi.org", "dx.doi.org") and len(segments) >= 2 and segments[0] == "10.5281":
        match = re.fullmatch(r"zenodo\.(\d+)", segments[1], re.I)
        if match:
            return f"https://doi.org/10.5281/zenodo.{match.group(1)}", "zenodo"
    return None


def dedupe_key(url: str) -> str:
    """Hosts' names are case-insensitive; a Zenodo DOI and its record are one."""
    key = url.lower()
    match = re.search(r"zenodo\.(?:org/records/|)(\d+)$", key)
    return f"zenodo:{match.group(1)}" if match else key


_CC = re.compile(r"\bCC[\s-]*(BY(?:[\s-]*(?:NC|SA|ND))*)\b", re.I)
_CC_URL = re.compile(r"creativecommons\.org/licenses/((?:by)(?:-(?:nc|sa|nd))*)/", re.I)


def license_code(text: str) -> str:
    """A licence line (`License: CC BY-NC-SA 4.0`), name or URL as one of
    `record.LICENSES`; `unknown` for anything else."""
    if re.search(r"nonexclusive|non-exclusive", text, re.I):
        return "arxiv-nonexclusive"
    if re.search(r"\bCC[\s-]?0\b|CC[\s-]?Zero|publicdomain/zero", text, re.I):
        return "cc0"
    match = _CC.search(text) or _CC_URL.search(text)
    if not match:
        return UNKNOWN
    parts = [p for p in re.split(r"[\s-]+", match.group(1).lower()) if p]
    order = {"by": 0, "nc": 1, "sa": 2, "nd": 2}
    code = "cc-" + "-".join(sorted(dict.fromkeys(parts), key=lambda p: order[p]))
    from .record import LICENSES

    return code if code in LICENSES else UNKNOWN
