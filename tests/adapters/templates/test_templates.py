"""Every template against a golden file, hostile input escaped, and the post-mortem as Markdown.

Regenerate the golden files after a deliberate wording change with UPDATE_GOLDEN=1.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from bot.adapters import template_samples
from bot.adapters.templates import TemplateProblem, Templates
from bot.entrypoints.cli import main
from tests.support.configmaps import mounted

ROOT = Path(__file__).resolve().parents[3]
GOLDEN = Path(__file__).parent / "golden"
TEMPLATES = Templates(ROOT / "templates")


def rendered(name: str) -> str:
    return TEMPLATES.render(
        name, compact=name != "postmortem.md.j2", **template_samples.SAMPLES[name]()
    )


@pytest.mark.parametrize("name", sorted(template_samples.SAMPLES))
def test_each_template_matches_its_golden_file(name: str) -> None:
    golden = GOLDEN / f"{name.removesuffix('.j2')}.txt"
    text = rendered(name)
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(text + "\n", encoding="utf-8")
    assert text + "\n" == golden.read_text(encoding="utf-8")


def test_the_status_update_is_exactly_the_protocols_sentence() -> None:
    sentence = TEMPLATES.render(
        "status_update.md.j2",
        impact="errors at checkout",
        affected="1,200 users",
        affected_verb="are",
        action="rolling back the deploy",
        next_update=template_samples.timedelta(hours=1),
    )
    assert sentence == (
        "We are aware of errors at checkout. 1,200 users are affected. We are "
        "rolling back the deploy. Next update in 1 hour."
    )


@pytest.mark.parametrize(
    ("promise", "said"),
    [
        (template_samples.timedelta(minutes=15, seconds=30), "15 minutes 30 seconds"),
        (timedelta(seconds=90), "1 minute 30 seconds"),
        (timedelta(minutes=59, seconds=59), "59 minutes 59 seconds"),
    ],
)
def test_the_status_page_promises_the_next_update_exactly(promise: timedelta, said: str) -> None:
    text = TEMPLATES.render(
        "status_page.md.j2",
        send="update",
        services=["Checkout"],
        impact="errors",
        affected="5% of traffic",
        action="rolling back",
        next_update=promise,
    )
    assert text.splitlines()[-1].endswith(f"Next update in {said}.")


@pytest.mark.parametrize("name", sorted(template_samples.SAMPLES))
def test_hostile_input_is_escaped(name: str) -> None:
    text = rendered(name)
    for injected in ("<!channel>", "<https://evil.example|click>"):
        assert injected not in text
    assert "&amp;amp;" not in text and "&amp;lt;" not in text  # never escaped twice


def test_the_post_mortem_draft_is_markdown_with_every_section() -> None:
    tokens = MarkdownIt().enable("table").parse(rendered("postmortem.md.j2"))
    headings = [
        tokens[i + 1].content
        for i, token in enumerate(tokens)
        if token.type == "heading_open" and token.tag == "h2"
    ]
    assert headings == [
        "Summary",
        "Description",
        "Severity history",
        "Impact",
        "Key durations",
        "Protocol compliance",
        "Deploys and rollback decisions",
        "Status updates",
        "Participants and roles",
        "Timeline (UTC)",
        "Contributing factors",
        "Action items",
    ]
    assert sum(token.type == "table_open" for token in tokens) == 4


def test_a_broken_template_is_named_with_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for path in (ROOT / "templates").glob("*.j2"):
        (tmp_path / path.name).write_text(path.read_text())
    broken = tmp_path / "deadline_reminder.md.j2"
    broken.write_text(broken.read_text() + "\n{{ deadline.nope }}\n")
    assert main(["check-templates", str(tmp_path)]) == 1
    error = capsys.readouterr().err
    assert f"{broken}:" in error
    assert "nope" in error
    assert main(["check-templates", str(ROOT / "templates")]) == 0


def test_a_syntax_error_stops_the_check_before_rendering(tmp_path: Path) -> None:
    (tmp_path / "status_update.md.j2").write_text("We are {% if %}\n")
    with pytest.raises(TemplateProblem, match=r"status_update.md.j2:1"):
        Templates(tmp_path).check()


def test_a_mounted_configmap_of_templates_checks_as_its_plain_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = mounted(ROOT / "templates", tmp_path / "templates", "*.j2")
    assert main(["check-templates", str(folder)]) == 0, capsys.readouterr().err
    assert Templates(folder).names() == Templates(ROOT / "templates").names()
    Templates(folder).check()
