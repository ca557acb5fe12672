"""The README a newcomer reads: short, its two commands those CI runs, its links alive."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def test_readme_is_short_and_its_table_narrow():
    assert len(README.split()) <= 1200
    table = README.split("<!-- bench:start -->", 1)[1].split("<!-- bench:end -->", 1)[0]
    header = next(line for line in table.splitlines() if line.startswith("|"))
    assert header.count("|") - 1 <= 7
    assert all(len(line) <= 300 for line in table.splitlines() if line and not line.startswith("|"))


def test_readmes_two_commands_are_the_ones_ci_runs():
    ci = (ROOT / ".ci" / "run").read_text()
    install = re.search(r'^pip install -e "\.\[test\]"', ci, re.M)
    assert install and 'pip install -e ".[test]" && hogfer bench --all' in README
    assert re.search(r"^python -m pytest$", ci, re.M) and "python -m pytest\n" in README


def test_readmes_local_links_exist():
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", README):
        if not target.startswith("http"):
            assert (ROOT / target).exists(), target
