"""An import-linter contract type that the built-in ones cannot express.

`imported_only_by`: the modules matching `modules` (and their descendants) may be imported only by
modules matching `allowed_importers`. The built-in `forbidden` contract skips every pair where
one module contains the other, so it cannot say "nothing in `knowledge_base` imports
`knowledge_base.tests`", which is the mistake it is meant to catch. Patterns are module names in
which `*` stands for one part and `**` for one or more (`**.tests` is every `tests` package).
Direct imports are checked: an indirect one runs through a direct one that is checked too.
"""

from __future__ import annotations

import re

from grimp import ImportGraph
from importlinter import Contract, ContractCheck, fields, output


def _pattern(expression: str) -> re.Pattern[str]:
    parts = []
    for part in expression.split("."):
        if part == "**":
            parts.append(r"[^.]+(?:\.[^.]+)*")
        elif part == "*":
            parts.append(r"[^.]+")
        else:
            parts.append(re.escape(part))
    # The module itself, or anything inside it.
    return re.compile(r"\.".join(parts) + r"(?:\..+)?")


def _matches(module: str, patterns: list[re.Pattern[str]]) -> bool:
    return any(p.fullmatch(module) for p in patterns)


class ImportedOnlyByContract(Contract):
    type_name = "imported_only_by"

    modules = fields.ListField(subfield=fields.StringField())
    allowed_importers = fields.ListField(subfield=fields.StringField(), required=False)

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        guarded = [_pattern(m) for m in self.modules]  # type: ignore[attr-defined]
        allowed = [_pattern(m) for m in (self.allowed_importers or [])]  # type: ignore[attr-defined]
        broken = []
        for module in sorted(graph.modules):
            if not _matches(module, guarded):
                continue
            for importer in sorted(graph.find_modules_that_directly_import(module)):
                if _matches(importer, allowed):
                    continue
                for detail in graph.get_import_details(importer=importer, imported=module) or [{}]:
                    broken.append((importer, module, detail.get("line_number")))
        return ContractCheck(kept=not broken, metadata={"broken": broken})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for importer, imported, line in check.metadata["broken"]:
            where = f" (l.{line})" if line else ""
            output.print_error(f"{importer} is not allowed to import {imported}{where}", bold=False)
        output.new_line()
