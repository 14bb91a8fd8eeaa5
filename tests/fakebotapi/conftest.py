import pytest


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    # PTB 22.2+ warns (an error under filterwarnings=error) whenever RetryAfter is built
    # unless it may hand out retry_after as a timedelta.
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
