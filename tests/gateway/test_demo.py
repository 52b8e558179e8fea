"""``swfasync demo --gateway`` runs its curl session end to end."""

from __future__ import annotations

import pytest

from swfasync._demo import main
from swfasync._demo_gateway import run_gateway_demo


async def test_the_gateway_demo_runs_its_curl_session(capsys: pytest.CaptureFixture[str]) -> None:
    assert await run_gateway_demo() == 0
    out = capsys.readouterr().out
    assert out.count("$ curl ") == 7
    assert "HTTP 201" in out
    assert '"result": "flight for Ada; hotel for Ada; charged Ada $420"' in out


def test_the_demo_names_its_one_option(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--gatway"]) == 2
    assert "--gateway" in capsys.readouterr().err
