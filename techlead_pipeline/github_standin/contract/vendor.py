"""Writes `openapi-subset.json`: the operations and webhooks of GitHub's official OpenAPI description
(npm `@octokit/openapi`, MIT, `generated/api.github.com.json`) that techlead-reviewer uses, with
every component they reference. Run it again when the project calls a new endpoint:

    npm pack @octokit/openapi && tar xzf octokit-openapi-*.tgz
    python -m techlead_pipeline.github_standin.contract.vendor package/generated/api.github.com.json

The subset is pruned, never edited: what is in it is GitHub's own text.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from .operations import OPERATIONS, WEBHOOKS

HERE = Path(__file__).parent
SUBSET = HERE / "openapi-subset.json"


def _refs(node, found: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/"):
            found.add(ref)
        for value in node.values():
            _refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, found)


def _resolve(spec: dict, ref: str):
    node = spec
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def subset(spec: dict) -> dict:
    paths: dict = {}
    for method, path in OPERATIONS:
        operation = spec["paths"][path][method.lower()]
        paths.setdefault(path, {})[method.lower()] = operation
        if "parameters" in spec["paths"][path]:
            paths[path]["parameters"] = spec["paths"][path]["parameters"]
    webhooks = {name: spec["x-webhooks"][name] for name in WEBHOOKS}
    components: dict = {}
    pending = set()
    _refs(paths, pending)
    _refs(webhooks, pending)
    done: set[str] = set()
    while pending:
        ref = pending.pop()
        if ref in done:
            continue
        done.add(ref)
        _, _, kind, name = ref.split("/", 3)
        node = _resolve(spec, ref)
        components.setdefault(kind, {})[name] = node
        _refs(node, pending)
    return {
        "openapi": spec["openapi"],
        "info": {**spec["info"], "x-techlead-subset": "operations and webhooks used by techlead-reviewer"},
        "paths": dict(sorted(paths.items())),
        "x-webhooks": webhooks,
        "components": {k: dict(sorted(v.items())) for k, v in sorted(components.items())},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("spec", type=Path, help="generated/api.github.com.json of @octokit/openapi")
    args = parser.parse_args()
    out = subset(json.loads(args.spec.read_text()))
    SUBSET.write_text(json.dumps(out, indent=None, separators=(",", ":"), sort_keys=False) + "\n")
    print(f"{SUBSET}: {len(out['paths'])} paths, {len(out['x-webhooks'])} webhooks, {SUBSET.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
