"""Runs kubernetes-validate's own check over many objects in one process.

    python3 kubernetes_validate_driver.py VERSION FILE...

Each FILE holds one object as JSON. For each it prints one line:
    PASS FILE | FAIL FILE PATH MESSAGE | NOSCHEMA FILE

It calls `kubernetes_validate.utils.validate(data, VERSION, strict=True)`, the function the
`kubernetes-validate --strict` command calls for every resource, with the schema files read
once instead of once per object (the command re-reads the 2 MB definitions for every object,
40 ms each); the verdicts are the command's.
"""
import functools
import json
import sys

import kubernetes_validate.utils as kv

kv.schema_contents = functools.lru_cache(maxsize=None)(kv.schema_contents)
version = sys.argv[1]
for path in sys.argv[2:]:
    with open(path) as handle:
        data = json.load(handle)
    try:
        kv.validate(data, version, strict=True)
        print("PASS", path)
    except kv.ValidationError as error:
        where = ".".join(str(step) for step in error.path)
        print("FAIL", path, where or ".", error.message.replace("\n", " ")[:300])
    except kv.SchemaNotFoundError:
        print("NOSCHEMA", path)
