"""Run ogctests' ``features/core`` checks against URL (in the ogctests environment: see
scripts/ogctests) and print a summary read from its JUnit report: ogctests exits 0 whatever
its checks found, so the report is the only honest answer.

Usage: python scripts/ogctests_run.py URL   (OGCTESTS_TOKEN: a Bearer token to send)
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path


def main(url: str) -> int:
    import httpx
    from ogctests.main import run_ogctests

    token = os.environ.get("OGCTESTS_TOKEN")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.xml"
        flags = ["-q", "-p", "no:cacheprovider", "--tb=line", f"--junit-xml={report}"]
        with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
            run_ogctests("features/core", url, flags, test_client=client)
        if not report.is_file():
            print(json.dumps({"error": "ogctests wrote no report"}))
            return 2
        cases = ET.parse(report).getroot().iter("testcase")
        passed, failed = [], []
        for case in cases:
            bad = case.find("failure") if case.find("failure") is not None else case.find("error")
            name = case.get("name", "?")
            if bad is not None:
                failed.append({"check": name, "why": (bad.get("message") or "")[:300]})
            elif case.find("skipped") is None:
                passed.append(name)
    print(json.dumps({"passed": passed, "failed": failed}))
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
