"""The status page's settings: both the page id and the key or neither, the key a secret."""

from __future__ import annotations

import pytest

from bot.entrypoints import settings as config


def test_the_page_and_its_key_come_together() -> None:
    with pytest.raises(config.ConfigurationError) as half:
        config.load(_env_file=None, statuspage_page_id="pg0example1")
    assert "STATUSPAGE_PAGE_ID and STATUSPAGE_API_KEY" in str(half.value)
    whole = config.load(
        _env_file=None,
        statuspage_page_id="pg0example1",
        statuspage_api_key="sp-very-secret",
        statuspage_api_url="http://127.0.0.1:8999/v1/",
    )
    assert "sp-very-secret" in whole.secret_values()
    assert "sp-very-secret" not in repr(whole)
    assert whole.statuspage_api_url == "http://127.0.0.1:8999/v1"


def test_no_status_page_by_default() -> None:
    plain = config.load(_env_file=None)
    assert plain.statuspage_page_id is None and plain.statuspage_api_key is None
    assert plain.statuspage_api_url == "https://api.statuspage.io/v1"


def test_the_api_url_is_a_url() -> None:
    with pytest.raises(config.ConfigurationError, match="STATUSPAGE_API_URL"):
        config.load(_env_file=None, statuspage_api_url="api.statuspage.io")
