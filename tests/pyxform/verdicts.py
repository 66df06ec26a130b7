#!/usr/bin/env python3
"""Write pyxform's verdict on every form in `forms/` to `verdicts.txt`.

One line per form: `file<TAB>accepted|refused<TAB>message`, where the message is pyxform's
error for a refused form (on one line, after the error's type) and empty for an accepted
one. As `xls2xform_convert` does by default, the XForm pyxform writes is also checked with
ODK Validate (JavaRosa, shipped with pyxform; it needs `java` on the PATH): a form pyxform
converts but ODK Validate rejects is refused, with `ODKValidateError`.

Not run in CI. Run it with the pyxform version named in README.md:

    python3 -m venv /tmp/pyxform-venv
    /tmp/pyxform-venv/bin/pip install pyxform==4.5.0
    /tmp/pyxform-venv/bin/python tests/pyxform/verdicts.py

`--forms DIR` and `--out FILE` judge another folder (such as the shared corpus) instead.
"""

import argparse
import re
import shutil
import pathlib
import sys

import pyxform
from pyxform.xls2xform import convert

HERE = pathlib.Path(__file__).resolve().parent
EXTENSIONS = {".xls", ".xlsx", ".csv", ".md"}


def verdict(path: pathlib.Path) -> tuple[str, str]:
    try:
        convert(xlsform=str(path), validate=True, warnings=[])
    except Exception as error:  # noqa: BLE001 - every failure is pyxform's refusal
        message = " ".join(str(error).split())
        # ODK Validate names the temporary file it was given: keep the line stable.
        message = re.sub(r" The following files failed validation: \S+", "", message)
        return "refused", f"{type(error).__name__}: {message}"
    return "accepted", ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--forms", type=pathlib.Path, default=HERE / "forms")
    parser.add_argument("--out", type=pathlib.Path, default=HERE / "verdicts.txt")
    args = parser.parse_args()
    if shutil.which("java") is None:
        sys.exit("ODK Validate needs java on the PATH")
    lines = [
        f"# pyxform {pyxform.__version__}: written by verdicts.py, do not edit by hand",
    ]
    for path in sorted(args.forms.iterdir()):
        if path.suffix.lower() not in EXTENSIONS:
            continue
        outcome, message = verdict(path)
        lines.append(f"{path.name}\t{outcome}\t{message}")
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
