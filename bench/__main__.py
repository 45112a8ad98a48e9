"""Run benchmarks: ``python -m bench [all|<scenario> ...]`` (``make bench SCENARIO=feed``).

Each scenario is a module ``bench/<scenario>.py`` with ``run() -> bench.common.Result``. It measures
its own baseline in the same run, so the ratio means something on a shared, noisy machine.
"""

import importlib
import pkgutil
import sys
from pathlib import Path

from bench.common import print_header, print_row

HERE = Path(__file__).parent


def available() -> list[str]:
    """The scenarios: the modules that define ``run()``, read from their source, not imported
    (support modules such as ``api_settings`` need Django set up first)."""
    modules = (m.name for m in pkgutil.iter_modules([str(HERE)]) if not m.name.startswith("_") and m.name != "common")
    return sorted(name for name in modules if "\ndef run(" in (HERE / f"{name}.py").read_text())


def main(argv: list[str]) -> int:
    names = argv or ["all"]
    if names == ["all"]:
        names = available()
    unknown = [n for n in names if n not in available()]
    if unknown:
        print(f"unknown scenario(s): {', '.join(unknown)}; available: {', '.join(available())}")
        return 2
    print_header()
    for name in names:
        result = importlib.import_module(f"bench.{name}").run()
        print_row(result)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
