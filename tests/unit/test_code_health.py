"""Cyclomatic complexity limits, as radon ranks them: every block of ``quantum_zvm`` and
``xcat`` is rank C (complexity 20) or better, the simulator's rank D (30) or better.

ruff's mccabe limit (ruff.toml) approximates the same rule while editing; radon counts
boolean operators too, so this is the check that decides.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from radon.complexity import cc_visit

REPO = Path(__file__).resolve().parents[2]
RANK_C, RANK_D = 20, 30


def _limit(path: Path) -> int:
    return RANK_D if path.is_relative_to(REPO / "xcat" / "simulator") else RANK_C


def _blocks_over_limit() -> list[str]:
    found = []
    for package in ("quantum_zvm", "xcat"):
        for path in sorted((REPO / package).rglob("*.py")):
            limit = _limit(path)
            for block in cc_visit(path.read_text(encoding="utf-8")):
                if block.complexity > limit:
                    found.append(f"{path.relative_to(REPO)}:{block.lineno} {block.fullname} "
                                 f"complexity {block.complexity} > {limit}")
    return found


def test_no_block_is_more_complex_than_its_rank_allows() -> None:
    over = _blocks_over_limit()
    if over:
        pytest.fail("untie these (one job per function):\n" + "\n".join(over))
