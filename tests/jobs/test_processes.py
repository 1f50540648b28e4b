"""One transport of errors across a process: class, message, hint and every attribute."""

from __future__ import annotations

import pytest

from assistant.errors import (
    BackgroundProcessError,
    ImportFormatError,
    InputError,
    RateLimited,
    pack_error,
    unpack_error,
)
from assistant.jobs.processes import run_in_process


def test_pack_and_unpack_keep_class_and_attributes() -> None:
    back = unpack_error(pack_error(RateLimited(42.0)))
    assert type(back) is RateLimited and back.retry_after == 42.0
    assert "wait 42 s" in str(back) and back.hint
    fmt = unpack_error(pack_error(ImportFormatError("f.json", "bad", pid=7, field="name")))
    assert type(fmt) is ImportFormatError and (fmt.pid, fmt.field) == (7, "name")


def test_a_foreign_error_is_named_not_lost() -> None:
    back = unpack_error(pack_error(ZeroDivisionError("division by zero")))
    assert isinstance(back, BackgroundProcessError)
    assert "ZeroDivisionError: division by zero" in str(back)
    # A narrower expected family: an error of ours outside it arrives as the family's base.
    assert type(unpack_error(pack_error(RateLimited(1.0)), InputError)) is InputError


def raise_rate_limited(*, report=None, cancel=None) -> None:
    raise RateLimited(17.0)


@pytest.mark.slow
def test_an_error_in_the_child_process_keeps_retry_after() -> None:
    with pytest.raises(RateLimited) as info:
        run_in_process("tests.jobs.test_processes:raise_rate_limited")
    assert info.value.retry_after == 17.0
