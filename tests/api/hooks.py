"""Schemathesis hooks for Letsema's API test (tests/api/schemathesis.sh loads them).

- Sync frames (`application/x-letsema-sync`) are sent as the raw bytes generated for them,
  like `application/octet-stream`.
- The revoke operations get, as often as not, the id of a device and a public link that
  really exist (made by the script before the run and named in its environment), so that
  their 200 answers are checked too, not only their 404s.
"""

import os

import schemathesis
from hypothesis import strategies as st

schemathesis.serializer.alias("application/x-letsema-sync", "application/octet-stream")

# (method, path) -> the environment variable holding an id that exists.
KNOWN_IDS = {
    ("POST", "/api/devices/{id}/revoke"): "LETSEMA_API_DEVICE_TO_REVOKE",
    ("POST", "/api/public-links/{id}/revoke"): "LETSEMA_API_PUBLIC_LINK_TO_REVOKE",
}


@schemathesis.hook
def flatmap_path_parameters(context, path_parameters):
    operation = context.operation
    variable = KNOWN_IDS.get((operation.method.upper(), operation.path)) if operation else None
    known = os.environ.get(variable) if variable else None
    if not known or not isinstance(path_parameters, dict) or "id" not in path_parameters:
        return st.just(path_parameters)
    return st.sampled_from([path_parameters, {**path_parameters, "id": known}])
