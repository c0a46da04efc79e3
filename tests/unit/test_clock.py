from datetime import datetime, timezone

from lifecycle.clock import utc_now


def test_utc_now_is_naive_utc_as_the_store_keeps_it():
    before = datetime.now(timezone.utc).replace(tzinfo=None)
    stamp = utc_now()
    assert stamp.tzinfo is None
    assert before <= stamp <= datetime.now(timezone.utc).replace(tzinfo=None)
