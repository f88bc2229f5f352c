"""The loopback fake of Front, with every request checked against Front's OpenAPI spec."""

from __future__ import annotations

from tests.fakes import front_spec
from webapp.sandbox.front import TOKEN, Call, FakeFront
from webapp.sandbox.front import FrontServer as _FrontServer

__all__ = ["TOKEN", "Call", "FakeFront", "FrontServer"]


def FrontServer(fake: FakeFront | None = None) -> _FrontServer:  # noqa: N802 (reads like the class)
    fake = fake or FakeFront()
    fake.request_check = front_spec.problems
    return _FrontServer(fake)
