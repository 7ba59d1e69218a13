"""The limits a newcomer can rely on (issue 23): no application module over 500 lines and
no function of cyclomatic complexity over 15, as radon counts it. A module that grows past
them is split by concern; a function, into steps with names."""

from pathlib import Path

from radon.complexity import cc_visit

ROOT = Path(__file__).resolve().parents[2]
MODULES = sorted(p for part in ("services", "shared") for p in (ROOT / part).rglob("*.py"))
MAX_LINES = 500
MAX_COMPLEXITY = 15


def test_no_application_module_is_over_500_lines() -> None:
    long = {
        str(p.relative_to(ROOT)): n
        for p in MODULES
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert MODULES and not long, long


def test_no_function_is_more_complex_than_15() -> None:
    tangled = {
        f"{p.relative_to(ROOT)}:{block.lineno} {block.fullname}": block.complexity
        for p in MODULES
        for block in cc_visit(p.read_text(encoding="utf-8"))
        if block.complexity > MAX_COMPLEXITY
    }
    assert not tangled, tangled
