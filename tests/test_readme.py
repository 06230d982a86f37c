"""The README's tour runs as written: every ```console block, command by command, with its output.

Why: a tour that drifts from the program teaches users commands and answers that are not true.
The tour's input files come from ``scripts/tour-data`` (run here as a user runs it); each ``$ ``
line runs in one temporary directory, in README order, and its stdout then stderr are compared
with the lines under it:

- a line ``...`` (any indentation) stands for any number of lines of output, as in JSON;
- times (``2026-11-25T19:48:22.479393Z``) are masked on both sides; ids, counts, areas and
  messages are compared exactly, and so are rich's table borders (the width is fixed);
- ``$ echo $?`` prints the exit code of the previous command.

Every mismatch is reported with a diff, all at once, so that one run shows all that drifted.
"""

from __future__ import annotations

import contextlib
import difflib
import io
import os
import re
import shlex
import subprocess
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
TOUR_DATA = ROOT / "scripts" / "tour-data"
ELISION = "..."
_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?(?:Z|[+-]\d\d:\d\d)")
_FENCE = re.compile(r"^```console[ \t]*\n(.*?)^```[ \t]*$", re.M | re.S)


@dataclass
class Command:
    """One ``$ `` line of a console block and the output the README shows under it."""

    line: int  # 1-based line number in README.md
    text: str
    expected: list[str] = field(default_factory=list)


def console_commands(markdown: str) -> list[Command]:
    """The commands of every ```console block, in order, each with its expected output lines.

    Blank lines that end an output (the gap before the next command) are not part of it.
    """
    commands: list[Command] = []
    for block in _FENCE.finditer(markdown):
        first = markdown.count("\n", 0, block.start(1)) + 1
        current: Command | None = None
        for offset, raw in enumerate(block.group(1).splitlines()):
            if raw.startswith("$ "):
                current = Command(first + offset, raw[2:].strip())
                commands.append(current)
            elif current is not None:
                current.expected.append(raw.rstrip())
            elif raw.strip():
                raise AssertionError(f"README.md:{first + offset}: output before any `$ ` line")
    for c in commands:
        while c.expected and not c.expected[-1]:
            c.expected.pop()
    return commands


def mask(lines: list[str]) -> list[str]:
    """Lines with times replaced by a fixed word, and trailing blanks dropped."""
    return [_TIME.sub("<time>", line).rstrip() for line in lines]


def matches(expected: list[str], actual: list[str]) -> bool:
    """Whether ``actual`` is ``expected`` with each ``...`` line standing for any lines (0 or
    more). The pieces between ``...`` lines must appear in order; the first and last are
    anchored at the start and the end (leftmost matching is enough for such patterns)."""
    pieces: list[list[str]] = [[]]
    for line in expected:
        if line.strip() == ELISION:
            pieces.append([])
        else:
            pieces[-1].append(line)
    if len(pieces) == 1:
        return expected == actual
    head, *middle, tail = pieces
    if actual[: len(head)] != head:
        return False
    pos = len(head)
    end = len(actual) - len(tail)
    if end < pos or actual[end:] != tail:
        return False
    for piece in middle:
        n = len(piece)
        for start in range(pos, end - n + 1):
            if actual[start : start + n] == piece:
                pos = start + n
                break
        else:
            return False
    return True


def run_clearground(argv: list[str]) -> tuple[int, str]:
    """Run the CLI in process, as its entry point does; return the exit code and stdout+stderr.

    In process because it is the same ``main`` the ``clearground`` script calls and a subprocess
    per command would cost a second each to start.
    """
    from clearground.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except Exception:  # a crash is reported in the diff, like any other wrong output
            traceback.print_exc()
            code = 1
    return code, out.getvalue() + err.getvalue()


def make_tour_data(directory: Path) -> None:
    """Run ``scripts/tour-data`` as the README tells users to, with this Python and this source."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT / "src"), env.get("PYTHONPATH", "")) if p
    )
    proc = subprocess.run(
        [sys.executable, str(TOUR_DATA), str(directory)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, f"scripts/tour-data failed:\n{proc.stdout}{proc.stderr}"


@pytest.fixture
def tour_dir(tmp_path, monkeypatch) -> Path:
    """A directory holding the tour's files, as the current directory, with a fixed environment
    (author ana, no config file, default region, 200 columns)."""
    make_tour_data(tmp_path)
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith("CLEARGROUND_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("CLEARGROUND_AUTHOR", "ana")
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("NO_COLOR", "1")
    return tmp_path


def test_the_tour_data_script_writes_its_files(tour_dir):
    for name in ("hazards.gpkg", "activities.geojson", "track.gpx"):
        assert (tour_dir / name).stat().st_size > 0, name
    assert "scripts/tour-data" in README.read_text(), "the README must say how to make the files"


def test_readme_console_blocks_run_as_shown(tour_dir):
    commands = console_commands(README.read_text())
    texts = [c.text for c in commands]
    assert any(t.endswith(" init") for t in texts), texts  # the tour is there at all
    assert any(" import hazards " in t for t in texts), texts
    assert any(" check " in t for t in texts), texts
    failures: list[str] = []
    last_code: int | None = None
    for c in commands:
        argv = shlex.split(c.text)
        if argv == ["echo", "$?"]:
            assert last_code is not None, f"README.md:{c.line}: `echo $?` before any command"
            code, output = last_code, f"{last_code}\n"
        elif argv and argv[0] == "clearground":
            code, output = run_clearground(argv[1:])
        else:
            raise AssertionError(
                f"README.md:{c.line}: `{c.text}`: a console block may run only clearground "
                "and `echo $?` (put other commands in a ```sh block)"
            )
        last_code = code
        expected, actual = mask(c.expected), mask(output.splitlines())
        while actual and not actual[-1]:
            actual.pop()
        if not matches(expected, actual):
            diff = "\n".join(
                difflib.unified_diff(
                    expected,
                    actual,
                    "README.md (expected)",
                    "program (actual)",
                    lineterm="",
                )
            )
            failures.append(f"README.md:{c.line}: $ {c.text}  (exit {code})\n{diff}")
    if failures:
        pytest.fail(
            f"{len(failures)} of {len(commands)} README tour commands differ from the program "
            "(times are masked as <time>; `...` in the README stands for any lines, so a `-...`"
            " line in a diff is not itself a difference):\n\n" + "\n\n".join(failures),
            pytrace=False,
        )


# --- the harness itself ----------------------------------------------------------------------


def test_console_commands_parse_commands_outputs_and_ignore_other_blocks():
    text = (
        "x\n```sh\n$ not this\n```\n```console\n$ clearground a\none\n\n  two\n\n"
        "$ echo $?\n0\n```\n"
    )
    got = [(c.line, c.text, c.expected) for c in console_commands(text)]
    assert got == [(6, "clearground a", ["one", "", "  two"]), (11, "echo $?", ["0"])]


def test_elision_matches_any_lines_but_keeps_order_and_ends():
    assert matches(["{", "  ...", "}"], ["{", "a", "b", "}"])
    assert matches(["{", "...", "}"], ["{", "}"])
    assert matches(["{", "a", "...", "c", "...", "}"], ["{", "a", "b", "c", "d", "}"])
    assert not matches(["{", "...", "c", "...", "}"], ["{", "a", "b", "}"])
    assert not matches(["{", "...", "}"], ["{", "a"])
    assert not matches(["a", "b"], ["a", "b", "c"])
    assert not matches(["a", "...", "a"], ["a"])


def test_mask_hides_times_only():
    assert mask(["│ 1 │ 2026-11-25T19:48:22.479393Z │ ana │  "]) == ["│ 1 │ <time> │ ana │"]
    assert mask(["HA-000001 2025-03-04 6434 m²"]) == ["HA-000001 2025-03-04 6434 m²"]
