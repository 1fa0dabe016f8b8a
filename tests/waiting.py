"""One way for a test to wait: poll a condition until it holds or a deadline passes (never a fixed sleep)."""
from __future__ import annotations

import time
from typing import Callable, TypeVar

T = TypeVar("T")


def wait_until(condition: Callable[[], T], timeout: float = 300.0, what: str = "the condition",
               every: float = 0.05) -> T:
    """condition()'s first true value; fails the test naming `what` when timeout seconds pass first."""
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        assert time.monotonic() < deadline, f"{what} still not true after {timeout} s"
        time.sleep(every)
    return value
