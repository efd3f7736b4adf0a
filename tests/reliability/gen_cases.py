"""Generated bad configs: every value of a valid config replaced by a value of
each JSON type it is not."""

from __future__ import annotations

import copy

SAMPLES = {
    "null": None,
    "boolean": True,
    "number": 7,
    "string": "x",
    "array": [],
    "object": {},
}


def json_type(v) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    return "object"


def walk(node, path=()):
    """Every (path, value) below node, parents before children."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield path + (k,), v
            yield from walk(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield path + (i,), v
            yield from walk(v, path + (i,))


def pointer(path) -> str:
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in path)


def replaced(config, path, value):
    cfg = copy.deepcopy(config)
    node = cfg
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = copy.deepcopy(value)
    return cfg


def wrong_type_cases(config, skip=()):
    """[(pointer, type name, mutated config)]: each value replaced by each
    sample of another JSON type. `skip`: pointers whose value may legitimately
    take any type (none in the spec's config except free-form places)."""
    cases = []
    for path, value in walk(config):
        ptr = pointer(path)
        if ptr in skip:
            continue
        have = json_type(value)
        for name, sample in SAMPLES.items():
            if name == have:
                continue
            cases.append((ptr, name, replaced(config, path, sample)))
    return cases
