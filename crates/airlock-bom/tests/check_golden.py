#!/usr/bin/env python3
"""Validate airlock-bom's golden outputs (tests/golden/) with the reference Python tools.

- CycloneDX 1.6 and 1.7: cyclonedx-python-lib's JsonStrictValidator
  (`pip install 'cyclonedx-python-lib[json-validation]'`), which bundles the official schemas.
- SPDX 3.0.1: spdx3-validate (JSON schema + SHACL shapes, `pip install spdx3-validate`) run
  offline through $AIRLOCK_SHARED/examples/bom/spdx3_validate_offline.py, which serves the
  schema, context and model from $AIRLOCK_SHARED/schemas/spdx3.

The Rust test `golden_outputs_match` keeps the golden files equal to the writers' output, so
checking them checks the writers. A validator that is not installed prints `SKIPPED: ...`;
`--require` turns that into a failure (for CI, once the packages are installed).

Exit status: 0 all checked documents valid, 1 a document is invalid, 2 a required tool is missing.
"""
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "golden"
SHARED = Path(os.environ.get("AIRLOCK_SHARED", HERE.parents[3] / "shared"))


def check_cyclonedx(require: bool) -> tuple[int, int]:
    try:
        from cyclonedx.schema import SchemaVersion
        from cyclonedx.validation.json import JsonStrictValidator
    except ImportError:
        print("SKIPPED: cyclonedx-python-lib[json-validation] is not installed", file=sys.stderr)
        return (0, 2 if require else 0)
    failures = 0
    documents = [
        (f"{stem}.cdx-{label}.json", version)
        for stem in ("sample", "project")
        for label, version in (("1.6", SchemaVersion.V1_6), ("1.7", SchemaVersion.V1_7))
    ]
    for name, version in documents:
        text = (GOLDEN / name).read_text()
        errors = JsonStrictValidator(version).validate_str(text, all_errors=True)
        if errors is None:
            print(f"ok: {name} (cyclonedx-python-lib strict, {version.to_version()})")
        else:
            failures += 1
            print(f"INVALID: {name}:", file=sys.stderr)
            for error in errors:
                print(f"  {error}", file=sys.stderr)
    return (failures, 0)


def check_spdx(require: bool) -> tuple[int, int]:
    wrapper = SHARED / "examples/bom/spdx3_validate_offline.py"
    try:
        import spdx3_validate  # noqa: F401
    except ImportError:
        print("SKIPPED: spdx3-validate is not installed", file=sys.stderr)
        return (0, 2 if require else 0)
    if not wrapper.is_file():
        print(f"SKIPPED: {wrapper} not found; set AIRLOCK_SHARED", file=sys.stderr)
        return (0, 2 if require else 0)
    env = dict(os.environ, SPDX3_SCHEMA_DIR=str(SHARED / "schemas/spdx3"))
    failures = 0
    for name in ("sample.spdx3.json", "project.spdx3.json"):
        run = subprocess.run(
            [sys.executable, str(wrapper), "--json", str(GOLDEN / name)],
            env=env,
            capture_output=True,
            text=True,
        )
        if run.returncode == 0:
            print(f"ok: {name} (spdx3-validate, JSON schema + SHACL)")
        else:
            failures += 1
            print(f"INVALID: {name} (spdx3-validate exit {run.returncode}):", file=sys.stderr)
            print(run.stdout + run.stderr, file=sys.stderr)
    return (failures, 0)


def main() -> int:
    require = "--require" in sys.argv[1:]
    failures = 0
    missing = 0
    for check in (check_cyclonedx, check_spdx):
        f, m = check(require)
        failures += f
        missing = max(missing, m)
    if failures:
        return 1
    return missing


if __name__ == "__main__":
    sys.exit(main())
