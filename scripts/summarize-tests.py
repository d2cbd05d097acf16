#!/usr/bin/python3
"""summarize-tests.py - turns test results into the one line CI reads.

Reads lit's JSON report (lit -o FILE) with, from the same run, lit's JUnit XML
(--xunit-xml-output FILE); other JUnit-style XML (GoogleTest's
--gtest_output=xml:FILE); and failed steps that are not tests (a build that
broke). Prints the failed tests, then as its very last line exactly

    N passed, N failed, N skipped

Counting (lit result codes): PASS, FLAKYPASS and XFAIL are passed;
UNSUPPORTED, SKIPPED and EXCLUDED are skipped; FAIL, XPASS, UNRESOLVED,
TIMEOUT and any code this script does not know are failed. A result file
that is missing or unreadable counts as one failed test, never as zero, and
so does a non-zero exit status of lit (--lit-status) that no failed test
explains (a configuration error, say).

Why lit needs both reports: the JSON has every result code but leaves SKIPPED
and EXCLUDED tests out (a GTEST_SKIP()ed unit test is SKIPPED), and Debian's
lit 19 does not treat XPASS as a failure, so its JUnit XML (and its exit
status) would count an XPASS as passed. So pass and fail come from the JSON,
and the JUnit XML adds the skipped tests the JSON leaves out.

Exit status: 0 when nothing failed and at least one test ran (passed or
failed); 1 otherwise.
"""

import argparse
import collections
import json
import sys
import xml.etree.ElementTree as ET

PASSED_CODES = {"PASS", "FLAKYPASS", "XFAIL"}
SKIPPED_CODES = {"UNSUPPORTED", "SKIPPED", "EXCLUDED"}
FAILED_CODES = {"FAIL", "XPASS", "UNRESOLVED", "TIMEOUT"}


class Tally:
    """Counts results and remembers the names of the failed ones."""

    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.skipped = 0
        self.failures = []
        self.codes = collections.Counter()

    def add(self, name, outcome, code):
        self.codes[code] += 1
        if outcome == "passed":
            self.passed += 1
        elif outcome == "skipped":
            self.skipped += 1
        else:
            self.failed += 1
            self.failures.append(f"{code}: {name}")

    def merge(self, other):
        self.passed += other.passed
        self.failed += other.failed
        self.skipped += other.skipped
        self.failures += other.failures
        self.codes.update(other.codes)


def read_safely(reader, path, tally):
    """Runs a reader; a report it cannot read counts as one failed test."""
    try:
        reader(path, tally)
    except (OSError, ValueError, ET.ParseError) as err:
        tally.add(f"{path} ({err})", "failed", "NO-RESULTS")


def outcome_of_lit_code(code):
    """Maps a lit result code to passed / skipped / failed."""
    if code in PASSED_CODES:
        return "passed"
    if code in SKIPPED_CODES:
        return "skipped"
    return "failed"


def read_lit_json(path, tally):
    """Adds every test of a lit JSON report (lit -o FILE)."""
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    tests = data.get("tests")
    if not isinstance(tests, list):
        raise ValueError("no 'tests' list: not a lit JSON report")
    for test in tests:
        code = str(test.get("code", "UNKNOWN"))
        tally.add(test.get("name", "?"), outcome_of_lit_code(code), code)


def read_lit_xunit_skips(path, json_tally, tally):
    """Adds the skipped tests of lit's JUnit XML that its JSON left out."""
    root = ET.parse(path).getroot()
    if root.tag != "testsuites":
        raise ValueError(f"root element <{root.tag}>: not lit's JUnit XML report")
    skipped = sum(1 for case in root.iter("testcase") if case.find("skipped") is not None)
    json_skipped = json_tally.codes["UNSUPPORTED"]
    for _ in range(max(0, skipped - json_skipped)):
        tally.add("(left out of lit's JSON)", "skipped", "SKIPPED")


def outcome_of_testcase(case):
    """Classifies one JUnit <testcase> (lit xunit or GoogleTest XML)."""
    if case.find("failure") is not None or case.find("error") is not None:
        return "failed", "FAIL"
    if case.find("skipped") is not None:
        return "skipped", "SKIPPED"
    # GoogleTest marks disabled tests status="notrun" and GTEST_SKIP()ed ones
    # result="skipped" (older versions write only the <skipped> element).
    if case.get("status") == "notrun" or case.get("result") in ("skipped", "suppressed"):
        return "skipped", "SKIPPED"
    return "passed", "PASS"


def read_junit_xml(path, tally):
    """Adds every <testcase> of a JUnit-style XML report."""
    root = ET.parse(path).getroot()
    if root.tag not in ("testsuites", "testsuite"):
        raise ValueError(f"root element <{root.tag}>: not a JUnit XML report")
    for case in root.iter("testcase"):
        outcome, code = outcome_of_testcase(case)
        name = case.get("classname", "") + "." + case.get("name", "?")
        tally.add(name, outcome, code)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lit-json", action="append", default=[], metavar="FILE",
                        help="lit's JSON report (lit -o FILE)")
    parser.add_argument("--lit-xunit", action="append", default=[], metavar="FILE",
                        help="lit's JUnit XML of the same run as the n-th --lit-json")
    parser.add_argument("--junit", action="append", default=[], metavar="FILE",
                        help="JUnit XML: GoogleTest --gtest_output=xml, lit --xunit-xml-output")
    parser.add_argument("--failed-step", action="append", default=[], metavar="WHAT",
                        help="a step that failed outside any test; counts as one failure")
    parser.add_argument("--lit-status", type=int, default=0, metavar="N",
                        help="lit's exit status; non-zero with no failed test counts as one failure")
    parser.add_argument("--max-listed", type=int, default=100,
                        help="list at most this many failed tests")
    args = parser.parse_args()

    if len(args.lit_xunit) > len(args.lit_json):
        parser.error("each --lit-xunit needs the --lit-json of the same lit run")

    tally = Tally()
    for i, path in enumerate(args.lit_json):
        run = Tally()
        read_safely(read_lit_json, path, run)
        if i < len(args.lit_xunit) and not run.codes["NO-RESULTS"]:
            read_safely(lambda p, t: read_lit_xunit_skips(p, run, t), args.lit_xunit[i], run)
        tally.merge(run)
    for path in args.junit:
        read_safely(read_junit_xml, path, tally)
    for step in args.failed_step:
        tally.add(step, "failed", "STEP")
    if args.lit_status != 0 and tally.failed == 0:
        tally.add(f"lit exited with status {args.lit_status} but reported no failed test",
                  "failed", "STEP")

    if tally.codes:
        codes = ", ".join(f"{n} {c}" for c, n in sorted(tally.codes.items()))
        print(f"results by code: {codes}")
    if tally.failures:
        print("failed:")
        for line in tally.failures[:args.max_listed]:
            print(f"  {line}")
        if len(tally.failures) > args.max_listed:
            print(f"  ... and {len(tally.failures) - args.max_listed} more")
    sys.stdout.flush()
    if tally.passed + tally.failed == 0:
        print("error: no test ran", file=sys.stderr)
        sys.stderr.flush()
    print(f"{tally.passed} passed, {tally.failed} failed, {tally.skipped} skipped")
    return 0 if tally.failed == 0 and tally.passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
