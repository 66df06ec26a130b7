"""The OData feed read by a real OData client, python-odata (PyPI), as Excel or Power BI
would read it: the real `letsema serve` (debug, demo form) on 127.0.0.1 and a free port over
a temporary data directory, filled by `letsema load` with 1,100 submissions (more than a
page, so the client follows @odata.nextLink) and validated; the client signs in with Basic
credentials, reflects the metadata document into entity classes, and reads every entity
set. Every value it reads must equal what the JSON lines export of the same submissions
holds (a second path through the server to the same documents), every repeat row must join
its submission by __Submissions-id, and what the feed does not offer must be refused with
a message the client shows.

Run by `./dev test` with the virtual environment's python (`.tools/venv`):
    LETSEMA_BIN=target/debug/letsema .tools/venv/bin/python tests/odata/feed.py
"""

import datetime
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import requests
from requests.auth import HTTPBasicAuth
from odata import ODataService
from odata.exceptions import ODataError

ROOT = Path(__file__).resolve().parents[2]
BIN = os.environ.get(
    "LETSEMA_BIN",
    str(Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / "debug" / "letsema"),
)
ADMIN = "odata-admin@example.org"
PASSWORD = "the odata client test's password"
SUBMISSIONS = 1100
FORM = "diaspora_registration"


def start_server(data: Path):
    """Adds the admin, starts the server; gives its process and URL."""
    subprocess.run(
        [BIN, "user", "add", ADMIN, "--role", "admin", "--data-dir", str(data / "data")],
        input=PASSWORD + "\n", text=True, check=True, stdout=subprocess.DEVNULL,
    )
    out = open(data / "out", "w")
    err = open(data / "err", "w")
    server = subprocess.Popen(
        [BIN, "serve", "--demo", "--listen", "127.0.0.1:0", "--data-dir", str(data / "data"),
         "--web-dir", str(data / "no-web")],
        stdout=out, stderr=err,
    )
    for _ in range(300):
        text = (data / "out").read_text()
        found = re.search(r"http://127\.0\.0\.1:[0-9]+", text)
        if found:
            return server, found.group(0)
        if server.poll() is not None:
            break
        time.sleep(0.1)
    server.kill()
    sys.exit("the server did not start:\n" + (data / "err").read_text())


def fill(url: str):
    """1,100 submissions of the reference form from 4 phones, validated."""
    subprocess.run(
        [BIN, "load", "--url", url, "--devices", "4", "--submissions", str(SUBMISSIONS),
         "--seed", "21", "--first-sync-only", "--admin", ADMIN, "--drain"],
        input=PASSWORD + "\n", text=True, check=True, stdout=subprocess.DEVNULL,
    )


def exported(url: str):
    """The JSON lines export of the form, by submission id (a signed-in session's)."""
    session = requests.Session()
    signed = session.post(f"{url}/api/session", json={"email": ADMIN, "password": PASSWORD})
    signed.raise_for_status()
    response = session.get(f"{url}/api/exports", params={"form": FORM, "format": "jsonl"})
    response.raise_for_status()
    lines = [json.loads(line) for line in response.text.splitlines() if line]
    return {line["KEY"]: line for line in lines}


def leaves(row: dict, prefix: str = "") -> dict:
    """A row's values by the export's header: groups' names joined by '-'; the OData
    annotations, keys and __system left out."""
    found = {}
    for name, value in row.items():
        if "@odata." in name or name.startswith("__"):
            continue
        if isinstance(value, dict):
            found.update(leaves(value, f"{prefix}{name}-"))
        else:
            found[f"{prefix}{name}"] = value
    return found


def same(odata_value, export_value, where: str):
    """An OData value (as the client typed it) equals the export's (JSON lines)."""
    if export_value is None:
        assert odata_value is None, f"{where}: {odata_value!r}, the export has none"
        return
    if isinstance(export_value, list):
        # A select_multiple: an array in JSON lines, values separated by spaces in OData.
        assert sorted(str(odata_value).split(" ")) == sorted(export_value), \
            f"{where}: {odata_value!r} != {export_value!r}"
    elif isinstance(export_value, bool):
        assert odata_value is export_value, f"{where}: {odata_value!r} != {export_value!r}"
    elif isinstance(export_value, (int, float)):
        assert isinstance(odata_value, (int, float, Decimal)), f"{where}: {odata_value!r} is not a number"
        assert Decimal(str(odata_value)) == Decimal(str(export_value)), \
            f"{where}: {odata_value!r} != {export_value!r}"
    elif isinstance(odata_value, datetime.datetime):
        assert odata_value == datetime.datetime.fromisoformat(export_value.replace("Z", "+00:00")), \
            f"{where}: {odata_value!r} != {export_value!r}"
    else:
        assert odata_value == export_value, f"{where}: {odata_value!r} != {export_value!r}"


def values(entity, entity_class) -> dict:
    """What the client read of an entity: each property typed by the metadata document
    (an integer, a Decimal, a datetime, a string; a group's complex value as JSON)."""
    row = {}
    for name in entity.__odata__.data:
        row[name] = getattr(entity, name) if hasattr(entity_class, name) else entity.__odata__.data[name]
    return row


def main():
    with tempfile.TemporaryDirectory() as directory:
        data = Path(directory)
        server, url = start_server(data)
        try:
            fill(url)
            check(url)
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
    print("ok: the OData client read every entity set, and every value equals the export's")


def check(url: str):
    service_url = f"{url}/api/odata/{FORM}.svc/"
    service = ODataService(service_url, auth=HTTPBasicAuth(ADMIN, PASSWORD),
                           reflect_entities=True, quiet_progress=True)
    sets = service.entities
    assert "Submissions" in sets, f"entity sets: {list(sets)}"
    repeat = "Submissions.registration.qualifications"
    assert repeat in sets, f"entity sets: {list(sets)}"
    export = exported(url)
    assert len(export) == SUBMISSIONS, f"the export holds {len(export)}"

    # Every submission, across pages (1,000 a page): each once, each value the export's.
    Submission = sets["Submissions"]
    rows = [values(entity, Submission) for entity in service.query(Submission)]
    ids = [row["__id"] for row in rows]
    assert len(ids) == SUBMISSIONS, f"the client read {len(ids)} submissions"
    assert len(set(ids)) == SUBMISSIONS, "a submission was read twice"
    assert set(ids) == set(export), "the feed and the export hold other submissions"
    assert service.query(Submission).count() == SUBMISSIONS
    for row in rows:
        line = export[row["__id"]]
        system = row["__system"]
        same(system["submissionDate"], line["SubmissionDate"], "submissionDate")
        assert system["formVersion"] == line["FormVersion"]
        assert system["association"] == line["Association"]
        assert system["deviceId"] == line["DeviceID"]
        assert system["instanceName"] == line["InstanceName"]
        assert system["reviewState"] == line["ReviewState"]
        assert system["complete"] is line["Complete"]
        assert (system["issues"] or "") == "\n".join(line["Issues"])
        answers = line["answers"]
        read = leaves(row)
        for header, value in read.items():
            same(value, answers.get(header), f"{row['__id']} {header}")
        for header, value in answers.items():
            if isinstance(value, list) and value and isinstance(value[0], dict):
                continue  # A repeat: an entity set of its own, below.
            assert header in read, f"{row['__id']}: the feed lacks {header}"

    # The repeat: each row joined to its submission, in order, each value the export's.
    Qualification = sets[repeat]
    instances = {}
    for entity in service.query(Qualification):
        row = values(entity, Qualification)
        instances.setdefault(row["__Submissions-id"], []).append(row)
    total = 0
    for key, line in export.items():
        expected = line["answers"].get("registration-qualifications", [])
        found = instances.get(key, [])
        assert len(found) == len(expected), f"{key}: {len(found)} qualifications, not {len(expected)}"
        for number, (row, instance) in enumerate(zip(found, expected), start=1):
            assert row["__id"] == f"{key}/qualifications[{number}]", row["__id"]
            for header, value in leaves(row).items():
                same(value, instance.get(header), f"{row['__id']} {header}")
        total += len(found)
    assert total > 0, "the workload has qualifications"
    assert service.query(Qualification).count() == total
    # Integers are typed by the metadata document.
    years = [row.get("year") for rows in instances.values() for row in rows if row.get("year") is not None]
    assert years and all(isinstance(year, int) for year in years), years[:5]

    # What the feed does not offer is refused with a message the client shows.
    try:
        service.query(Submission).filter(Submission.consent == "yes").first()
    except ODataError as error:
        assert "does not offer $filter" in str(error), str(error)
    else:
        raise AssertionError("$filter was not refused")

    # A wrong password is refused, and the client is told so.
    stranger = service.create_context(auth=HTTPBasicAuth(ADMIN, "not the password"))
    try:
        stranger.query(Submission).first()
    except ODataError as error:
        assert "wrong" in str(error), str(error)
    else:
        raise AssertionError("a wrong password read the feed")

if __name__ == "__main__":
    main()
