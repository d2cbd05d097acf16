"""check-settings.py - checks that a settings.json fragment (docs/editors.md's
vscode-settings block) sets only settings the extension declares, with values
of the declared type and enum; prints each setting checked."""
import json
import sys

settings = json.load(open(sys.argv[1], encoding="utf-8"))
manifest = json.load(open(sys.argv[2], encoding="utf-8"))
declared = manifest["contributes"]["configuration"]["properties"]
kinds = {"string": str, "boolean": bool, "number": (int, float)}
for key, value in settings.items():
    if key not in declared:
        sys.exit(f"{key}: not a setting of the extension")
    if not isinstance(value, kinds[declared[key]["type"]]):
        sys.exit(f"{key}: not a {declared[key]['type']}")
    if "enum" in declared[key] and value not in declared[key]["enum"]:
        sys.exit(f"{key}: not one of {declared[key]['enum']}")
    print(f"{key} = {value!r}: declared, default {declared[key]['default']!r}")
