"""README.md and docs/*.md render as written: parsed with a CommonMark parser (markdown-it-py),
every fenced code block closes, and every link to a heading (``#anchor``) or to a file of the
repository lands somewhere that exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import ROOT
from markdown_it import MarkdownIt
from markdown_it.token import Token

DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def parse(text: str) -> list[Token]:
    """CommonMark with GitHub's tables, as GitHub renders the README."""
    return MarkdownIt("commonmark").enable("table").parse(text)


def fence_problems(text: str) -> list[str]:
    """Each fenced block that does not close where its author meant it to, with its line.

    markdown-it lets an unclosed fence run to the end of the document (or of its container): its
    block then ends on a line that is not a closing fence (the fence character repeated at least
    as often as in the opening fence, nothing else on the line). A line inside a block that
    starts like its fence but has text after it (```` ``` text ````) closes nothing either: the
    block runs on past it and swallows what follows."""
    lines = text.splitlines()
    found = []
    for token in parse(text):
        if token.type != "fence" or token.map is None:
            continue
        start, end = token.map
        last = lines[end - 1].strip() if end - 1 > start else ""
        if not (len(last) >= len(token.markup) and set(last) == {token.markup[0]}):
            found.append(f"line {start + 1}: the fenced block never closes")
        for n in range(start + 1, end - 1):
            if lines[n].strip().startswith(token.markup):
                found.append(f"line {n + 1}: text after a closing fence, which then closes nothing")
    return found


def slug(heading: str) -> str:
    """GitHub's anchor for a heading's text: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


def anchors(text: str) -> set[str]:
    """Every heading's anchor; repeated headings get -1, -2 … as on GitHub."""
    tokens = parse(text)
    seen: dict[str, int] = {}
    out = set()
    for i, token in enumerate(tokens):
        if token.type != "heading_open":
            continue
        inline = tokens[i + 1]
        words = "".join(
            c.content for c in inline.children or [] if c.type in ("text", "code_inline")
        )
        base = slug(words)
        n = seen.get(base, 0)
        seen[base] = n + 1
        out.add(base if n == 0 else f"{base}-{n}")
    return out


def links(text: str) -> list[str]:
    """Every link target of the document, in order."""
    return [
        child.attrs["href"]
        for token in parse(text)
        if token.type == "inline"
        for child in token.children or []
        if child.type == "link_open"
    ]


@pytest.mark.parametrize("doc", DOCUMENTS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_fenced_block_closes(doc: Path) -> None:
    problems = fence_problems(doc.read_text())
    assert not problems, f"{doc.name}: " + "; ".join(problems)


@pytest.mark.parametrize("doc", DOCUMENTS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_local_link_lands(doc: Path) -> None:
    broken = []
    for href in links(doc.read_text()):
        if re.match(r"[a-z]+:", href):  # http:, https:, mailto:
            continue
        path, _, anchor = href.partition("#")
        target = (doc.parent / path).resolve() if path else doc
        if not target.exists():
            broken.append(f"{href}: no file {target}")
        elif anchor and anchor not in anchors(target.read_text()):
            broken.append(f"{href}: no heading #{anchor} in {target.name}")
    assert not broken, f"{doc.name}: " + "; ".join(broken)


def test_the_checks_catch_what_they_are_for() -> None:
    """A fence closed on a line with text after it (the README's old mistake) is found; a
    well-formed one, a longer closing fence and a tilde fence are not."""
    swallowed = "# A\n\n```bash\nls\n``` then prose\n\n## B\n"
    assert [p.split(":")[0] for p in fence_problems(swallowed)] == ["line 3", "line 5"]
    assert fence_problems("```\nx\n```\n\n````text\n```\n````\n\n~~~\ny\n~~~\n") == []
    assert fence_problems("```\n") == ["line 1: the fenced block never closes"]
    assert anchors(
        "# Two commands\n## `nn-train` against a plain script\n## Layout\n## Layout\n"
    ) == {
        "two-commands",
        "nn-train-against-a-plain-script",
        "layout",
        "layout-1",
    }


def test_the_readme_links_the_performance_notes_and_lists_the_layout() -> None:
    text = (ROOT / "README.md").read_text()
    assert "docs/performance.md" in links(text)
    assert "layout" in anchors(text)
    layout = text.split("## Layout", 1)[1]
    for folder in ("framework/", "plugins/", "conf/", "experiments/", "tests/", "docs/",
                   "benchmarks/", ".ci/"):  # fmt: skip
        assert folder in layout, folder
        assert (ROOT / folder).is_dir(), folder
    for command in ("nn-train", "nn-plugins", "nn-board", "nn-bench", "nn-predict", "nn-export"):
        assert f"`{command} " in layout, command
