"""Read pip-audit's JSON report: exit 1 on any known vulnerability, 0 otherwise, and say how
many packages could really be looked up (none, where the vulnerability data is unreachable)."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(report: str, errors: str) -> int:
    try:
        dependencies = json.loads(Path(report).read_text() or "{}").get("dependencies", [])
    except json.JSONDecodeError:
        dependencies = []
    if not dependencies:
        print("pip-audit: no report; it said:\n" + Path(errors).read_text()[-2000:], file=sys.stderr)
        return 1
    vulnerable = [d for d in dependencies if d.get("vulns")]
    audited = [d for d in dependencies if "skip_reason" not in d]
    for dep in vulnerable:
        ids = ", ".join(v["id"] for v in dep["vulns"])
        print(f"pip-audit: {dep['name']} {dep.get('version', '')}: {ids}", file=sys.stderr)
    if vulnerable:
        return 1
    if not audited:
        print(f"pip-audit: NOT CHECKED: none of the {len(dependencies)} packages could be looked up "
              "(the vulnerability data is unreachable from this machine)")
    else:
        print(f"pip-audit: {len(audited)} of {len(dependencies)} packages checked, no known vulnerability")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
