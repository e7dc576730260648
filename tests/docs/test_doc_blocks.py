"""The docs check itself: each of its refusals, on small Markdown files written here."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.docs.doc_blocks import (
    DocError,
    check_classified,
    commands,
    output_problem,
    read_blocks,
    zkmargin_argvs,
)
from tests.docs.doc_runner import Shell, command_problems, run_python
from zkmargin.cli import cli


def _blocks(tmp_path: Path, markdown: str):
    path = tmp_path / "doc.md"
    path.write_text(markdown, encoding="utf-8")
    return read_blocks(path, tmp_path)


def test_command_problems_name_the_line_and_option_when_an_option_is_unknown(tmp_path: Path) -> None:
    blocks = _blocks(tmp_path, "Intro.\n\n```bash\nzkmargin schema market\nzkmargin check --params p.json --portfolio f.json --bogus\n```\n")
    assert command_problems(blocks, cli) == [
        "doc.md:5: `zkmargin check --params p.json --portfolio f.json --bogus`: No such option '--bogus'."
    ]


@pytest.mark.parametrize(
    ("line", "complaint"),
    [
        ("zkmargin prove --params p.json --portfolio f.json", "Missing option '-o' / '--output'"),
        ("zkmargin nonesuch", "no such command 'nonesuch'"),
        ("zkmargin params sign p.json --key k.json --epoch 7 --valid-for 1x -o s.json", "'1x' is not a duration"),
        ("zkmargin monitor calls [--status open|closed]", "'closed' is not one of"),
        ("zkmargin prove --params p.json --portfolio f.json -o o.json [--pad-buckets M]", "'M' is not a whole number written with the digits 0-9"),
        ("zkmargin schema market extra", "unexpected extra arguments: extra"),
    ],
)
def test_command_problems_report_the_parse_error_when_a_command_line_drifts(tmp_path: Path, line: str, complaint: str) -> None:
    problems = command_problems(_blocks(tmp_path, f"```bash\n{line}\n```\n"), cli)
    assert len(problems) == 1 and problems[0].startswith("doc.md:2: ") and complaint in problems[0], problems


def test_command_problems_accept_a_synopsis_when_its_placeholders_are_the_metavars(tmp_path: Path) -> None:
    synopsis = (
        "```bash\nzkmargin ledger submit inbox/ [--jobs N | --scheduler tcp://HOST:PORT] [--db PATH|URL]\n"
        "zkmargin monitor calls [--status open|met|overdue]\n"
        "zkmargin prove --params p.json --attestation a.json --openings oa.json [--challenge HEX] -o proof.json\n```\n"
    )
    assert command_problems(_blocks(tmp_path, synopsis), cli) == []


def test_zkmargin_argvs_expand_every_alternative_when_a_synopsis_offers_them(tmp_path: Path) -> None:
    (block,) = _blocks(tmp_path, "```bash\nzkmargin ledger submit in/ [--jobs N | --scheduler S] --x a|b  # note\n```\n")
    assert zkmargin_argvs(commands(block)[0]) == [
        ["ledger", "submit", "in/", "--jobs", "N", "--x", "a"],
        ["ledger", "submit", "in/", "--jobs", "N", "--x", "b"],
        ["ledger", "submit", "in/", "--scheduler", "S", "--x", "a"],
        ["ledger", "submit", "in/", "--scheduler", "S", "--x", "b"],
    ]


def test_commands_join_continuations_and_keep_output_when_the_block_is_a_console(tmp_path: Path) -> None:
    (block,) = _blocks(tmp_path, "```console\n$ zkmargin schema \\\n    market\n{\n…\n```\n")
    (command,) = commands(block)
    assert (command.line, command.text, command.output) == (2, "zkmargin schema market", ["{", "…"])


@pytest.mark.parametrize(
    ("markdown", "complaint"),
    [
        ("```\nzkmargin schema market\n```\n", "doc.md:1: block tagged ''"),
        ("```yaml\na: 1\n```\n", "doc.md:1: block tagged 'yaml'"),
        ("```text\n$ zkmargin schema market\n```\n", "doc.md:1: a zkmargin command in a text block"),
        ("```json\n{\"a\": 1,}\n```\n", "doc.md:1: not JSON"),
        ("<!-- not run: shown -->\n```json\n{}\n```\n", "doc.md:2: a json block is never run"),
        ("<!-- raises: InvalidProof -->\n```bash\nzkmargin schema market\n```\n", "only a python block"),
    ],
)
def test_check_classified_refuses_a_block_when_the_markdown_does_not_say_how_to_treat_it(
    tmp_path: Path, markdown: str, complaint: str
) -> None:
    (block,) = _blocks(tmp_path, markdown)
    with pytest.raises(DocError, match=complaint):
        check_classified(block)


@pytest.mark.parametrize(
    ("markdown", "complaint"),
    [
        ("<!-- skip: why -->\n```bash\nzkmargin schema market\n```\n", "doc.md:1: unknown marker"),
        ("<!-- not run: -->\n```bash\nzkmargin schema market\n```\n", "doc.md:1: unknown marker"),
        ("<!-- not run: later -->\nprose\n```bash\nzkmargin schema market\n```\n", "must sit on the line right before"),
        ("text\n<!-- not run: nothing follows -->\n", "doc.md:2: a marker with no block after it"),
        ("```bash\nzkmargin schema market\n", "doc.md:1: block never closed"),
    ],
)
def test_read_blocks_refuses_a_marker_when_it_is_not_right_before_a_block(tmp_path: Path, markdown: str, complaint: str) -> None:
    with pytest.raises(DocError, match=complaint):
        _blocks(tmp_path, markdown)


def test_output_problem_is_none_when_the_shown_lines_appear_in_order_between_gaps() -> None:
    actual = "account  alice\nequity   1,000.00 USD\nrequirement 10.00 USD\n\nMEETS.\n"
    assert output_problem(["account alice", "…", "requirement   10.00 USD", "…"], actual) is None
    assert output_problem(["…", "MEETS."], actual) is None


@pytest.mark.parametrize(
    ("expected", "complaint"),
    [
        (["…", "requirement 11.00 USD", "…"], "the docs show 'requirement 11.00 USD'"),
        (["…", "requirement 10.00 USD"], "together and in this order"),
        (["equity 1,000.00 USD", "…"], "together and in this order"),
        (["…", "MEETS.", "account alice", "…"], "together and in this order"),
    ],
)
def test_output_problem_names_the_line_when_the_output_differs_from_the_docs(expected: list[str], complaint: str) -> None:
    actual = "account  alice\nequity   1,000.00 USD\nrequirement 10.00 USD\n\nMEETS.\n"
    assert complaint in output_problem(expected, actual)


def _shell_run(tmp_path: Path, markdown: str) -> Path:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    Shell(workspace, cli).run_blocks(_blocks(tmp_path, markdown))
    return workspace


@pytest.mark.parametrize(
    ("markdown", "complaint"),
    [
        ("```bash\nrm -rf build\n```\n", "doc.md:2: cannot run `rm -rf build`"),
        ("```bash\nzkmargin schema market [--json]\n```\n", "doc.md:2: a synopsis cannot run"),
        ("```bash\nzkmargin check --params missing.json --portfolio f.json\n```\n", "doc.md:2: .* exited 2"),
        ("```console\n$ zkmargin schema market\n{\n  \"title\": \"Nothing\"\n…\n```\n", "the docs show '\"title\": \"Nothing\"'"),
    ],
)
def test_shell_fails_naming_the_line_when_a_block_does_not_run_as_shown(
    tmp_path: Path, monkeypatch, markdown: str, complaint: str
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DocError, match=complaint):
        _shell_run(tmp_path, markdown)


def test_shell_runs_the_commands_in_one_workspace_when_the_block_has_no_marker(tmp_path: Path, monkeypatch) -> None:
    markdown = (
        "```bash\nmkdir -p keys\nzkmargin keys new --issuer v --role params -o keys/v.key.json --public keys/v.pub.json\n"
        "cp keys/v.pub.json trusted.json\nexport ZKMARGIN_TRUST=trusted.json\n```\n"
        "<!-- not run: fails if run -->\n```bash\nzkmargin check --params none.json --portfolio none.json\n```\n"
    )
    workspace = tmp_path / "ws"
    workspace.mkdir()
    monkeypatch.chdir(workspace)
    shell = Shell(workspace, cli)
    shell.run_blocks(_blocks(tmp_path, markdown))
    assert (workspace / "trusted.json").read_bytes() == (workspace / "keys" / "v.pub.json").read_bytes()
    assert shell.env["ZKMARGIN_TRUST"] == "trusted.json"


def test_run_python_fails_when_a_block_marked_raises_does_not_raise(tmp_path: Path) -> None:
    markdown = "```python\nx = 1\n```\n<!-- raises: InvalidProof -->\n```python\ny = x + 1\n```\n"
    with pytest.raises(pytest.fail.Exception, match="DID NOT RAISE"):
        run_python(_blocks(tmp_path, markdown))


def test_run_python_reports_the_document_line_when_a_block_fails(tmp_path: Path) -> None:
    markdown = "Intro.\n\n```python\nx = 1\n```\n\n```python\nx = 1\nundefined_name\n```\n"
    with pytest.raises(NameError) as caught:
        run_python(_blocks(tmp_path, markdown))
    frame = caught.traceback[-1]
    assert (Path(frame.path).name, frame.lineno + 1) == ("doc.md", 9)
