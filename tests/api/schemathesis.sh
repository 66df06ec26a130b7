#!/usr/bin/env bash
# Property-based tests of the API against its OpenAPI document (server/src/openapi.json),
# with schemathesis: the real `letsema serve` (debug, demo form) on 127.0.0.1 and a free
# port, over a temporary data directory, and every operation in the document called with
# generated requests, valid and invalid, as four callers in turn: an enrolled device
# (bearer credential), nobody, a metrics scraper (--metrics-token, /metrics only) and a
# signed-in admin (session cookie and x-csrf-token); signing out (DELETE /api/session, POST
# /api/session/everywhere) comes last, since it ends the admin's session. Every response
# must be no 5xx, of a documented status, content type and headers, and match its schema.
#
# ./dev test runs it with deterministic generation (the same cases every run); ./dev api-fuzz
# runs it with more examples and a random seed. The environment may set:
#   LETSEMA_BIN            the server binary (default: target/debug/letsema)
#   LETSEMA_API_EXAMPLES   test cases per operation and phase (default 100)
#   LETSEMA_API_SEED       a seed: random generation from it instead of deterministic
#   LETSEMA_API_SCHEMA     the document to test (default: the one the server serves)
# The checks, and the known server bugs (switched off one operation and one check at a
# time, each with a FIXME), are in schemathesis.toml.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BIN=${LETSEMA_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/debug/letsema}
VENV=${LETSEMA_API_VENV:-$ROOT/.tools/venv}
EXAMPLES=${LETSEMA_API_EXAMPLES:-100}
ADMIN=api-admin@example.org
PASSWORD="the api property tests' password"
METRICS_TOKEN=api-property-tests-metrics-token

die() { printf 'error: %s\n' "$*" >&2; exit 1; }
[ -x "$BIN" ] || die "no server binary at $BIN: cargo build -p letsema-server"
[ -x "$VENV/bin/st" ] || die "no schemathesis in $VENV: ./dev api-fuzz installs it"

dir=$(mktemp -d)
pid=""
cleanup() {
  if [ -n "$pid" ]; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "$PASSWORD" | "$BIN" user add "$ADMIN" --role admin --data-dir "$dir/data" >/dev/null
"$BIN" serve --demo --listen 127.0.0.1:0 --data-dir "$dir/data" --web-dir "$dir/no-web" \
  --metrics-token "$METRICS_TOKEN" >"$dir/out" 2>"$dir/err" &
pid=$!
url=""
for _ in $(seq 100); do
  url=$(grep -m 1 -o 'http://127.0.0.1:[0-9]*' "$dir/out" 2>/dev/null || true)
  [ -n "$url" ] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
[ -n "$url" ] || { cat "$dir/err" >&2; die "the server did not start"; }

# The callers' credentials: the admin signs in, enrols a phone for the test (and a second
# one, and a public link, for the revoke operations to find), all through the API.
credentials=$(URL="$url" ADMIN="$ADMIN" PASSWORD="$PASSWORD" "$VENV/bin/python" - <<'PY'
import os, shlex, requests

url = os.environ["URL"]
admin = requests.Session()
credentials = {"email": os.environ["ADMIN"], "password": os.environ["PASSWORD"]}
# A second session, for signing out alone (everywhere would end both).
second = requests.post(f"{url}/api/session", json=credentials)
second.raise_for_status()
signed_in = admin.post(f"{url}/api/session", json=credentials)
signed_in.raise_for_status()
csrf = signed_in.json()["csrf_token"]
admin.headers["x-csrf-token"] = csrf
forms = sorted({f["form_id"] for f in admin.get(f"{url}/api/forms").json()["forms"]})
enrolment = admin.post(f"{url}/api/enrolments", json={
    "association": "api-tests", "forms": forms, "uses": 2, "label": "schemathesis"})
enrolment.raise_for_status()
code = enrolment.json()["link"].split("#", 1)[1]
devices = []
for label in ("schemathesis", "to revoke"):
    enrolled = requests.post(f"{url}/api/devices/enrol", json={"code": code, "label": label})
    enrolled.raise_for_status()
    devices.append(enrolled.json())
link = admin.post(f"{url}/api/public-links", json={"form": forms[0], "label": "to revoke"})
link.raise_for_status()
values = {
    "SESSION": admin.cookies["letsema_session"],
    "CSRF": csrf,
    "SECOND_SESSION": second.cookies["letsema_session"],
    "SECOND_CSRF": second.json()["csrf_token"],
    "DEVICE_CREDENTIAL": devices[0]["credential"],
    "LETSEMA_API_DEVICE_TO_REVOKE": devices[1]["device"]["id"],
    "LETSEMA_API_PUBLIC_LINK_TO_REVOKE": str(link.json()["public_link"]["id"]),
}
for name, value in values.items():
    print(f"{name}={shlex.quote(value)}")
PY
) || { cat "$dir/err" >&2; die "could not sign in and enrol a device"; }
eval "$credentials"
export LETSEMA_API_DEVICE_TO_REVOKE LETSEMA_API_PUBLIC_LINK_TO_REVOKE

if [ -n "${LETSEMA_API_SEED:-}" ]; then
  generation=(--seed "$LETSEMA_API_SEED")
  echo "schemathesis: $EXAMPLES examples per operation, seed $LETSEMA_API_SEED" >&2
else
  generation=(--generation-deterministic)
  echo "schemathesis: $EXAMPLES examples per operation, deterministic" >&2
fi

failed=()
run() {
  local caller=$1
  shift
  printf '\n---- schemathesis as %s\n' "$caller" >&2
  # From the temporary directory: schemathesis and Hypothesis write nothing into the tree.
  (cd "$dir" && SCHEMATHESIS_HOOKS="$HERE/hooks.py" "$VENV/bin/st" --no-color \
    --config-file "$HERE/schemathesis.toml" run "${LETSEMA_API_SCHEMA:-$url/api/openapi.json}" \
    --url "$url" --max-examples "$EXAMPLES" "${generation[@]}" \
    --continue-on-failure "$@") || failed+=("$caller")
}

run "an enrolled device" -H "Authorization: Bearer $DEVICE_CREDENTIAL"
run "nobody"
run "a metrics scraper" --include-path /metrics -H "Authorization: Bearer $METRICS_TOKEN"
run "an admin" -H "Cookie: letsema_session=$SESSION" -H "x-csrf-token: $CSRF" \
  --exclude-name "DELETE /api/session" --exclude-name "POST /api/session/everywhere"
run "an admin signing out" -H "Cookie: letsema_session=$SECOND_SESSION" \
  -H "x-csrf-token: $SECOND_CSRF" --include-name "DELETE /api/session"
run "an admin signing out everywhere" -H "Cookie: letsema_session=$SESSION" \
  -H "x-csrf-token: $CSRF" --include-name "POST /api/session/everywhere"

if ! kill -0 "$pid" 2>/dev/null; then
  cat "$dir/err" >&2
  die "the server stopped during the test"
fi
if [ ${#failed[@]} -gt 0 ]; then
  printf '\n---- %s\n' "the server's log (last 40 lines)" >&2
  tail -n 40 "$dir/err" >&2
  die "schemathesis found responses that break openapi.json, as: $(IFS=,; echo "${failed[*]}")"
fi
echo "schemathesis: every response matched openapi.json" >&2
