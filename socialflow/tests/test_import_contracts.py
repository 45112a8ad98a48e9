"""The custom import contract of ``make lint`` (lint_contracts.py) on a small graph of its own."""

import grimp

from lint_contracts import PublicInterfaceContract


def _graph(*imports):
    graph = grimp.ImportGraph()
    for importer, imported in imports:
        graph.add_import(importer=importer, imported=imported, line_number=1, line_contents="import")
    return graph


def _check(graph):
    contract = PublicInterfaceContract(
        name="interface",
        session_options={},
        contract_options={
            "apps": ["shop", "blog"],
            "interface": ["services", "selectors", "api.serializers"],
            "extra_interface": ["shop.models"],
            "ignore_importers": ["*.tests.**"],
        },
    )
    return contract.check(graph, verbose=False)


def test_it_allows_imports_of_another_apps_interface():
    check = _check(
        _graph(
            ("blog.views", "shop.services"),
            ("blog.feeds.home", "shop.selectors.graph"),
            ("blog.api.views", "shop.api.serializers"),
            ("blog.selectors", "shop.models"),
            ("blog.views", "blog.tasks"),  # inside one app anything goes
            ("blog.views", "django.db"),  # not an app of the contract
        )
    )
    assert check.kept


def test_it_refuses_imports_of_another_apps_private_modules():
    check = _check(
        _graph(
            ("blog.services", "shop.tasks"),
            ("blog.api.views", "shop.api.views"),
            ("shop.selectors", "blog.models"),  # only shop's models are public
            ("blog.tests.test_x", "shop.tests.factories"),  # tests are exempt
        )
    )
    assert not check.kept
    assert [(v["importer"], v["imported"]) for v in check.metadata["violations"]] == [
        ("blog.api.views", "shop.api.views"),
        ("blog.services", "shop.tasks"),
        ("shop.selectors", "blog.models"),
    ]
