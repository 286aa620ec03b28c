"""The error list of docs/spec-language.md is what the CLI prints: regenerated here and compared."""

from __future__ import annotations

import sys
from importlib import metadata
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
if str(DOCS) not in sys.path:
    sys.path.insert(0, str(DOCS))
import generate_spec_errors as errors  # noqa: E402


def esrgan_installed() -> bool:
    try:
        metadata.version("srzoo-esrgan")
    except metadata.PackageNotFoundError:
        return False
    return True


@pytest.mark.skipif(esrgan_installed(), reason="with srzoo-esrgan installed, 'gen=rrdbnet' is no error to document")
def test_spec_error_list_is_up_to_date(capsys):
    code = errors.main(["--check"])
    assert code == 0, f"docs/spec-language.md is stale: run {errors.COMMAND}\n{capsys.readouterr().out}"


def test_every_documented_error_has_a_caret_or_is_a_build_error():
    text = (DOCS / "spec-language.md").read_text()
    blocks = [b.split("```", 1)[0] for b in text.split("```text\n$ srzoo spec ")[1:]]
    assert len(blocks) >= 40
    for block in blocks:
        lines = block.splitlines()
        assert lines[1].startswith("error: ")
        assert any(set(line.strip()) == {"^"} for line in lines) or "cannot be built" in lines[1], block
