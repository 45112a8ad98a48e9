"""A custom import-linter contract (used by ``make lint``; see docs/architecture.md,
"Dependency direction and import contracts").

``public_interface``: a domain app may import another domain app only through the modules that
app offers to others (its interface), never its views, tasks, admin, API views, internals. It is
default-deny: a module added to an app later is private until it is named here.

Options:
    apps:       the top-level packages the rule is about.
    interface:  module names, relative to each app, that other apps may import (with their
                submodules), e.g. ``services``, ``selectors``.
    extra_interface: full module names that are also public (e.g. ``accounts.models``).
    ignore_importers: module expressions whose imports are not checked (e.g. ``*.tests.**``).
"""

from importlinter import Contract, ContractCheck, fields, output
from importlinter.domain import helpers


class PublicInterfaceContract(Contract):
    type_name = "public_interface"

    apps = fields.ListField(subfield=fields.StringField())
    interface = fields.ListField(subfield=fields.StringField())
    extra_interface = fields.ListField(subfield=fields.StringField(), required=False)
    ignore_importers = fields.ListField(subfield=fields.ModuleExpressionField(), required=False)

    def _public(self, app: str, module: str) -> bool:
        names = [f"{app}.{tail}" for tail in self.interface] + [
            name for name in (self.extra_interface or []) if name.split(".")[0] == app
        ]
        return any(module == name or module.startswith(f"{name}.") for name in names)

    def check(self, graph, verbose: bool) -> ContractCheck:
        apps = set(self.apps)
        ignored = {module.name for module in helpers.module_expressions_to_modules(graph, self.ignore_importers or [])}
        violations = []
        for importer in sorted(graph.modules):
            source = importer.split(".")[0]
            if source not in apps or importer in ignored:
                continue
            for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                target = imported.split(".")[0]
                if target == source or target not in apps or self._public(target, imported):
                    continue
                lines = sorted(d["line_number"] for d in graph.get_import_details(importer=importer, imported=imported))
                violations.append({"importer": importer, "imported": imported, "lines": lines})
        return ContractCheck(kept=not violations, metadata={"violations": violations})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for violation in check.metadata["violations"]:
            lines = ", ".join(str(n) for n in violation["lines"])
            output.print_error(f"{violation['importer']} -> {violation['imported']} (l. {lines})", bold=False)
        output.new_line()
        output.print(
            "Import the app's services, selectors or another module its interface lists instead, "
            "or react to its domain events (socialflow.core.events)."
        )
