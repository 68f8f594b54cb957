"""The index builds install from: the setting, else pip's configuration, else PyPI."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.environments.index import package_index
from app.errors import ConfigurationError


def test_the_setting_wins_over_pip_configuration(tmp_path: Path) -> None:
    conf = tmp_path / "pip.conf"
    conf.write_text("[global]\nindex-url = https://mirror.example/simple\n")
    index = package_index(
        "https://index.example/simple",
        environ={"PIP_INDEX_URL": "https://env.example/simple"},
        config_files=[conf],
    )
    assert (index.url, index.source) == ("https://index.example/simple", "ENVIRONMENT_INDEX_URL")


def test_pip_index_url_wins_over_pip_conf(tmp_path: Path) -> None:
    conf = tmp_path / "pip.conf"
    conf.write_text("[global]\nindex-url = https://mirror.example/simple\n")
    index = package_index(
        None, environ={"PIP_INDEX_URL": "https://env.example/simple"}, config_files=[conf]
    )
    assert index.url == "https://env.example/simple"


def test_the_last_pip_conf_that_sets_index_url_wins(tmp_path: Path) -> None:
    first, second = tmp_path / "a.conf", tmp_path / "b.conf"
    first.write_text("[global]\nindex-url = https://first.example/simple\n")
    second.write_text("[install]\nindex-url = https://second.example/simple\n")
    index = package_index(None, environ={}, config_files=[first, second])
    assert index.url == "https://second.example/simple"
    assert str(second) in index.source


def test_without_configuration_pypi_and_its_file_host_are_allowed() -> None:
    index = package_index(None, environ={}, config_files=[])
    assert index.url == "https://pypi.org/simple"
    assert index.allowed() == {("pypi.org", 443), ("files.pythonhosted.org", 443)}


def test_extra_hosts_are_allowed_on_the_index_port() -> None:
    index = package_index("http://devpi.internal:3141/root/pypi", ["files.internal"])
    assert index.allowed() == {("devpi.internal", 3141), ("files.internal", 3141)}


def test_an_index_url_with_credentials_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="credentials"):
        package_index("https://user:token@index.example/simple")


def test_a_file_index_is_refused_with_the_reason() -> None:
    with pytest.raises(ConfigurationError, match="must be an http"):
        package_index("file:///opt/wheels")
