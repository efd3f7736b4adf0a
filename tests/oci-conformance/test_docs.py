"""The documentation follows the command table: every subcommand `berth --help`
lists has a man page that is installed, each page documents exactly the
options `berth COMMAND --help` shows, and the shell completions offer them.

Everything is read from the built binary's help, which is generated from
src/command_table.cpp, so a new flag without documentation fails here.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MAN = REPO / "man"
COMPLETIONS = REPO / "contrib" / "completions"

# Options every command and the global level take; documented once, in berth(8).
COMMON = {"--help", "-h"}


def help_text(binary: str, *args: str) -> str:
    res = subprocess.run([binary, *args, "--help"], capture_output=True, text=True, timeout=10)
    assert res.returncode == 0, f"{args} --help failed: {res.stderr}"
    return res.stdout


def commands(binary: str) -> list[str]:
    """The subcommands --help lists, but help itself."""
    text = help_text(binary)
    block = text.split("Commands:\n", 1)[1].split("\n\n", 1)[0]
    names = []
    for line in block.splitlines():
        name = re.match(r"\s+(\S+?)(?:, \S+)?\s{2,}", line).group(1)
        if name != "help":
            names.append(name)
    return names


def help_flags(text: str, section: str = "Options:") -> set[str]:
    """-x and --name spellings from the option lines of a --help text."""
    block = text.split(section + "\n", 1)[1].split("\n\n", 1)[0]
    flags = set()
    for line in block.splitlines():
        m = re.match(r"\s+(?:-(\w), )?--([\w-]+)", line)
        if m:
            if m.group(1):
                flags.add("-" + m.group(1))
            flags.add("--" + m.group(2))
    return flags - COMMON


def roff_text(line: str) -> str:
    return line.replace("\\-", "-").replace("\\fI", "").replace("\\fP", "").replace("\\fB", "")


def page_flags(page: Path, section: str = "OPTIONS") -> set[str]:
    """The options a page documents: the tag lines (after .TP) of a section."""
    lines = page.read_text().splitlines()
    try:
        start = lines.index(f".SH {section}")
    except ValueError:
        return set()
    flags = set()
    tag_next = False
    for line in lines[start + 1:]:
        if line.startswith(".SH"):
            break
        if line == ".TP":
            tag_next = True
            continue
        if tag_next:
            tag = roff_text(line)
            flags |= set(re.findall(r"(?<![\w-])(--[a-z][\w-]*)", tag))
            flags |= set(re.findall(r"(?<![\w-])(-[a-zA-Z])\b(?!-)", tag))
            tag_next = False
    return flags - COMMON


@pytest.fixture(scope="module")
def subcommands(berth_binary) -> list[str]:
    names = commands(berth_binary)
    assert {"create", "start", "run", "exec", "spec", "features"} <= set(names), names
    return names


def test_every_subcommand_has_an_installed_page(subcommands):
    installed = (MAN / "meson.build").read_text()
    for name in subcommands:
        page = MAN / f"berth-{name}.8"
        assert page.is_file(), f"no man page for `berth {name}`: {page}"
        text = page.read_text()
        assert re.search(rf"^\.TH BERTH\\-{name.upper()} 8 ", text, re.M), f"{page.name}: .TH"
        assert re.search(rf"^berth\\-{name} \\- ", text, re.M), f"{page.name}: NAME line"
        assert ".BR berth (8)" in text, f"{page.name} does not point back to berth(8)"
        assert f"'berth-{name}.8'" in installed, f"man/meson.build does not install {page.name}"
        assert f"berth\\-{name} (8)" in (MAN / "berth.8").read_text(), \
            f"berth(8) does not refer to {page.name}"


def test_no_page_for_a_command_that_does_not_exist(subcommands):
    for page in MAN.glob("berth-*.8"):
        name = page.name[len("berth-"):-len(".8")]
        assert name in subcommands, f"{page.name} documents a command berth does not have"


def test_every_page_documents_exactly_the_commands_options(berth_binary, subcommands):
    problems = []
    for name in subcommands:
        shown = help_flags(help_text(berth_binary, name))
        documented = page_flags(MAN / f"berth-{name}.8")
        if shown - documented:
            problems.append(f"berth-{name}.8 lacks {sorted(shown - documented)}")
        if documented - shown:
            problems.append(f"berth-{name}.8 documents options berth {name} does not take: "
                            f"{sorted(documented - shown)}")
    assert not problems, "\n".join(problems)


def test_berth_page_documents_the_global_options(berth_binary):
    shown = help_flags(help_text(berth_binary), "Global options:")
    documented = page_flags(MAN / "berth.8", "GLOBAL OPTIONS")
    assert shown == documented, (sorted(shown - documented), sorted(documented - shown))


@pytest.mark.skipif(shutil.which("man") is None, reason="man(1) is not installed")
def test_pages_render_without_warnings():
    for page in sorted(MAN.glob("*.8")):
        res = subprocess.run(["man", "--warnings", "-l", str(page)], capture_output=True,
                             text=True, env={"MANWIDTH": "80", "LC_ALL": "C.UTF-8", "PATH": "/usr/bin:/bin"})
        assert res.returncode == 0 and res.stderr == "", f"{page.name}:\n{res.stderr}"


@pytest.mark.parametrize("shell, spelling", [
    ("berth.bash", "{flag}"),
    ("_berth", "{flag}"),
    ("berth.fish", "-l {bare}"),
])
def test_completions_offer_every_command_and_option(berth_binary, subcommands, shell, spelling):
    text = (COMPLETIONS / shell).read_text()
    missing = []
    for name in subcommands:
        if not re.search(rf"\b{name}\b", text):
            missing.append(name)
        for flag in help_flags(help_text(berth_binary, name)):
            if flag.startswith("--"):
                word = spelling.format(flag=flag, bare=flag[2:])
                if not re.search(re.escape(word) + r"(?![\w-])", text):
                    missing.append(f"{name} {flag}")
    for flag in help_flags(help_text(berth_binary), "Global options:"):
        if flag.startswith("--") and not re.search(
                re.escape(spelling.format(flag=flag, bare=flag[2:])) + r"(?![\w-])", text):
            missing.append(flag)
    assert not missing, f"{shell} does not complete: {missing}"
