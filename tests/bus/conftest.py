from __future__ import annotations

import pytest

PLUGIN = "tests.conftest_kafka"


def pytest_configure(config: pytest.Config) -> None:
    # Load the Kafka fixtures unless tests/conftest.py already registered them as a plugin.
    if not config.pluginmanager.has_plugin(PLUGIN):
        config.pluginmanager.import_plugin(PLUGIN)
