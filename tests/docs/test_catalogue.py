"""docs/catalogue.md is generated from the registry: it fails here when it is stale, and it lists
exactly what ``srzoo list --json`` lists for the standard plugins."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
if str(DOCS) not in sys.path:
    sys.path.insert(0, str(DOCS))
import docgen  # noqa: E402
import generate_catalogue as catalogue  # noqa: E402
ROW = re.compile(r"^\| \[`(?P<name>[^`]+)`\]\(#(?P<anchor>[^)]+)\) \| (?P<kind>\w+) \| (?P<dist>\S+) (?P<version>\S+) \|", re.MULTILINE)


def generated_section(text: str) -> str:
    begin, end = docgen.markers(catalogue.SECTION, catalogue.COMMAND)
    return text[text.index(begin):text.index(end)]


def test_catalogue_is_up_to_date(capsys):
    code = catalogue.main(["--check"])
    assert code == 0, f"docs/catalogue.md is stale: run {catalogue.COMMAND}\n{capsys.readouterr().out}"


def test_catalogue_lists_exactly_what_srzoo_list_lists():
    with docgen.environment(SRZOO_PLUGINS=",".join(docgen.standard_plugins()), SRZOO_DISABLED_PLUGINS=None):
        code, out, err = docgen.run_cli(["list", "--json"])
    assert code == 0, err
    listed = {(c["name"], c["kind"], c["dist"], c["version"]) for c in json.loads(out)}
    rows = [m.groupdict() for m in ROW.finditer(generated_section((DOCS / "catalogue.md").read_text()))]
    documented = {(r["name"], r["kind"], r["dist"], r["version"]) for r in rows}
    assert len(rows) == len(documented)
    assert documented == listed
    headings = set(re.findall(r"^### `([^`]+)` \((\w+)\)$", (DOCS / "catalogue.md").read_text(), re.MULTILINE))
    assert {(n, k) for n, k, _, _ in listed} <= headings
    assert all(r["anchor"] == catalogue.anchor(r["name"], r["kind"]) for r in rows)


def test_every_parameter_is_documented_with_type_and_default():
    import srzoo_core

    text = (DOCS / "catalogue.md").read_text()
    for info in srzoo_core.list_components():
        if info.provider.dist not in docgen.standard_plugins():
            continue
        block = text.split(f"### `{info.name}` ({info.kind})", 1)[1].split("\n### ", 1)[0]
        for param in info.params:
            assert re.search(rf"^\| `{param.name}` \| `[^`]+` \| ", block, re.MULTILINE), (info.name, param.name)


def test_check_fails_and_changes_nothing_when_stale(tmp_path, monkeypatch, capsys):
    page = tmp_path / "catalogue.md"
    begin, end = docgen.markers(catalogue.SECTION, catalogue.COMMAND)
    page.write_text(f"# Catalogue\n\n{begin}\nold\n{end}\n\nhand-written\n")
    monkeypatch.setattr(catalogue, "PAGE", page)
    before = page.read_text()
    assert catalogue.main(["--check"]) == 1
    assert page.read_text() == before and "is stale" in capsys.readouterr().out
    assert catalogue.main([]) == 0
    written = page.read_text()
    assert "hand-written" in written and "| [`srresnet`](#srresnet-gen) | gen |" in written
    assert catalogue.main(["--check"]) == 0


def test_missing_markers_are_an_error(tmp_path, monkeypatch):
    page = tmp_path / "catalogue.md"
    page.write_text("# no markers\n")
    monkeypatch.setattr(catalogue, "PAGE", page)
    with pytest.raises(SystemExit, match="no generated section"):
        catalogue.main([])


def test_the_add_on_has_its_own_hand_written_section():
    text = (DOCS / "catalogue.md").read_text()
    begin, end = docgen.markers(catalogue.SECTION, catalogue.COMMAND)
    after = text.split(end, 1)[1]
    assert "srzoo-esrgan" not in text.split(begin, 1)[1].split(end, 1)[0]
    for name in ("rrdbnet", "rrdb", "esrdisc", "ragan"):
        assert f"`{name}`" in after
