"""Validates the fake server's Web API traffic against Spotify's OpenAPI document.

Requests and responses are checked with openapi-core. The spec's server is
``https://api.spotify.com/v1``; the fake serves ``/v1/...`` on 127.0.0.1, so paths are
mapped onto that server (and spotipy's ``me/`` onto ``/me``). Two documented gaps are
bridged rather than reported:

- statuses the spec does not declare for an operation (500, 502: injected faults) have no
  schema to check, so only their request is validated;
- the spec's ``item``/``track`` are not nullable, yet its own text says "a track object may
  be null" (unavailable tracks): null entries are dropped from the copy that is validated;
- its ``oneOf`` discriminators on ``type`` have no mapping, so a validator looks for schemas
  named ``track``/``episode``: the mapping to TrackObject/EpisodeObject is added on load.
"""

from __future__ import annotations

import copy
import json
import threading
import warnings
from pathlib import Path
from typing import Any

import yaml
from openapi_core import OpenAPI
from openapi_core.templating.responses.exceptions import ResponseNotFound
from openapi_core.testing import MockRequest, MockResponse

HOST = "https://api.spotify.com"

_CACHE: dict[Path, OpenAPI] = {}
_LOCK = threading.Lock()


def load(spec: Path) -> OpenAPI:
    """Parsing the 7,500-line spec takes a while: once per test session."""
    with _LOCK:
        if spec not in _CACHE:
            doc = yaml.safe_load(spec.read_text(encoding="utf-8"))
            _add_discriminator_mappings(doc)
            _CACHE[spec] = OpenAPI.from_dict(doc)
        return _CACHE[spec]


class SpecChecker:
    def __init__(self, spec: Path) -> None:
        self.openapi = load(spec)
        self.errors: list[str] = []
        self.checked = 0
        self._lock = threading.Lock()

    def check(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        headers: dict[str, str],
        body: bytes,
        status: int,
        payload: Any,
        response_headers: dict[str, str],
    ) -> None:
        path = "/v1" + (path.rstrip("/") or "/")
        request = MockRequest(
            HOST,
            method,
            path,
            args=query,
            headers={k: v for k, v in headers.items() if k.lower() == "authorization"},
            data=body or None,
            content_type=headers.get("Content-Type", "application/json").split(";")[0],
        )
        problems = []
        warnings.filterwarnings("ignore", "Unsupported scheme type")  # oauth2: not checked
        try:
            self.openapi.validate_request(request)
        except Exception as exc:  # openapi-core raises a family of errors
            problems.append(f"request: {_describe(exc)}")
        data = json.dumps(_without_null_entries(payload)).encode() if payload is not None else b""
        response = MockResponse(data, status, headers=response_headers)
        try:
            self.openapi.validate_response(request, response)
        except ResponseNotFound:
            pass  # an undeclared (injected) status: nothing to validate against
        except Exception as exc:
            problems.append(f"response {status}: {_describe(exc)}")
        with self._lock:
            self.checked += 1
            self.errors.extend(f"{method} {path}: {p}" for p in problems)


def _add_discriminator_mappings(node: Any) -> None:
    mapping = {
        "track": "#/components/schemas/TrackObject",
        "episode": "#/components/schemas/EpisodeObject",
    }
    if isinstance(node, dict):
        disc = node.get("discriminator")
        if isinstance(disc, dict) and disc.get("propertyName") == "type" and "mapping" not in disc:
            refs = {o.get("$ref") for o in node.get("oneOf", []) if isinstance(o, dict)}
            if refs <= set(mapping.values()):
                disc["mapping"] = {k: v for k, v in mapping.items() if v in refs}
        for value in node.values():
            _add_discriminator_mappings(value)
    elif isinstance(node, list):
        for value in node:
            _add_discriminator_mappings(value)


def _describe(exc: BaseException) -> str:
    parts = [f"{type(exc).__name__}: {exc}"]
    cause = exc.__cause__
    while cause is not None:
        parts.append(f"{type(cause).__name__}: {cause}")
        for sub in getattr(cause, "schema_errors", ())[:3]:
            parts.append(f"  {sub.message} at {list(sub.absolute_path)}")
        cause = cause.__cause__
    return " <- ".join(p[:400] for p in parts)


def _without_null_entries(payload: Any) -> Any:
    if not isinstance(payload, dict):
        return payload
    out = copy.deepcopy(payload)
    pages = [out] + [out[k] for k in ("items",) if isinstance(out.get(k), dict)]
    for page in pages:
        items = page.get("items")
        if isinstance(items, list):
            for entry in items:
                if isinstance(entry, dict):
                    for key in ("item", "track"):
                        if key in entry and entry[key] is None:
                            del entry[key]
    return out
