"""Dependency audit: no installed package with a known vulnerability left unexplained.

pip-audit asks PyPI for the advisories of each installed version. Where that per-version
answer is not available (the build machines reach PyPI's project pages only), the advisories
PyPI lists on the project page are used — they belong to the newest release, so they count
only for packages installed at that release; any other package is reported as not audited.
Advisories we accept are listed, with the reason, in security/dependency-audit-exceptions.txt.
"""

import json
import subprocess
import sys
import urllib.request
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

EXCEPTIONS = Path(__file__).parents[2] / "security" / "dependency-audit-exceptions.txt"
PIP_AUDIT = Path(sys.executable).with_name("pip-audit")


@dataclass
class Audit:
    findings: list[tuple[str, str, str]] = field(default_factory=list)  # package, version, id
    audited: set[str] = field(default_factory=set)
    unaudited: set[str] = field(default_factory=set)


def accepted() -> set[tuple[str, str]]:
    lines = [line.split() for line in EXCEPTIONS.read_text().splitlines()]
    return {(words[0].lower(), words[1]) for words in lines if words and words[0][0] != "#"}


def installed() -> dict[str, str]:
    return {
        d.metadata["Name"].lower().replace("_", "-"): d.version
        for d in metadata.distributions()
        if d.metadata["Name"] and d.metadata["Name"].lower() != "koersmonitor"
    }


def pip_audit(audit: Audit) -> set[str]:
    """Run pip-audit over this environment; returns the packages it could not audit."""
    result = subprocess.run(
        [str(PIP_AUDIT), "--local", "--format", "json", "--progress-spinner", "off"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    report = json.loads(result.stdout or '{"dependencies": []}')
    skipped = set()
    for dep in report["dependencies"]:
        name = dep["name"].lower()
        if "skip_reason" in dep:
            skipped.add(name)
            continue
        audit.audited.add(name)
        audit.findings += [(name, dep["version"], v["id"]) for v in dep.get("vulns", [])]
    return skipped


def project_page(name: str) -> dict[str, Any] | None:
    try:
        with urllib.request.urlopen(f"https://pypi.org/pypi/{name}/json", timeout=30) as answer:
            page: dict[str, Any] = json.load(answer)
            return page
    except OSError:
        return None


def newest_release_advisories(audit: Audit, names: set[str], versions: dict[str, str]) -> None:
    ordered = sorted(names)
    with ThreadPoolExecutor(8) as pool:
        pages = dict(zip(ordered, pool.map(project_page, ordered), strict=True))
    for name, page in sorted(pages.items()):
        if page is None or page["info"]["version"] != versions.get(name):
            audit.unaudited.add(name)
            continue
        audit.audited.add(name)
        for advisory in page.get("vulnerabilities") or []:
            if not advisory.get("withdrawn"):
                audit.findings.append((name, versions[name], advisory["id"]))


def test_no_installed_package_has_an_unexplained_known_vulnerability() -> None:
    versions = installed()
    audit = Audit()
    skipped = pip_audit(audit) & set(versions)
    newest_release_advisories(audit, skipped, versions)
    if not audit.audited:
        pytest.skip("no vulnerability data reachable from this machine (PyPI not answering)")
    if audit.unaudited:
        warnings.warn(
            f"not audited (installed below the newest release): {sorted(audit.unaudited)}",
            stacklevel=1,
        )
    unexplained = [f for f in audit.findings if (f[0], f[2]) not in accepted()]
    assert unexplained == [], f"known vulnerabilities: {unexplained}"
    assert len(audit.audited) >= 0.8 * len(versions), (
        f"only {len(audit.audited)} of {len(versions)} packages could be audited; "
        f"not audited: {sorted(audit.unaudited)}"
    )
