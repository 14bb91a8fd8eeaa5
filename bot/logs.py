"""Logging: quiet dependency loggers, and a bot token that never reaches a log line.

``protect(token)`` redacts the token from every log record when the record is made: its
message and arguments, the traceback of ``exc_info`` (formatted once, then redacted) and a
``stack_info`` — whatever logger wrote it and whichever handler prints it. Tracebacks matter:
python-telegram-bot's ``InvalidToken`` carries the token in its message, and httpx errors
carry Bot API URLs (``/bot<token>/sendMessage``). ``redact(text)`` applies the same to any
string printed outside logging (the command line's last-resort error line).
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from types import TracebackType
from typing import Any
from urllib.parse import quote

REDACTED = "<token>"
_secrets: list[str] = []  # longest first: the whole token before its secret half
_lock = threading.Lock()
_previous_factory: Any = None


def quiet_loggers() -> None:
    """httpx logs request URLs at INFO, and Bot API URLs hold the token; alembic logs its
    context at every start (bot.store.db logs what a migration does)."""
    for name in ("httpx", "httpcore", "apscheduler.executors.default", "alembic"):
        logging.getLogger(name).setLevel(logging.WARNING)
    logging.getLogger("telegram").setLevel(logging.INFO)  # its DEBUG lines print Bot API URLs


def redact(text: str) -> str:
    """``text`` with every protected secret replaced by ``<token>``."""
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def protect(token: str | None) -> None:
    """Redact ``token`` (and its secret half, and their URL-encoded forms) from every log
    record made from now on in this process. Idempotent."""
    quiet_loggers()
    if not token:
        return
    secret = token.split(":", 1)[-1]
    forms = {token, quote(token, safe=""), secret, quote(secret, safe="")}
    with _lock:
        new = forms - set(_secrets)
        if not new:
            return
        _secrets.extend(new)
        _secrets.sort(key=len, reverse=True)
        _install()


def _install() -> None:
    global _previous_factory
    if _previous_factory is not None:
        return
    previous = _previous_factory = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record: logging.LogRecord = previous(*args, **kwargs)
        _redact_record(record)
        return record

    logging.setLogRecordFactory(factory)


def _redact_record(record: logging.LogRecord) -> None:
    try:
        text = record.getMessage()
    except Exception:  # a malformed log call: leave it to logging's own error path
        return
    clean = redact(text)
    if clean != text:
        record.msg, record.args = clean, ()
    if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
        record.exc_text = redact(format_exception(*record.exc_info)).rstrip("\n")
    if record.stack_info:
        record.stack_info = redact(record.stack_info)


def format_exception(
    kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
) -> str:
    return "".join(traceback.format_exception(kind, exc, tb))


def redacting_excepthooks() -> None:
    """Uncaught exceptions (main thread and others) print redacted tracebacks."""

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        sys.stderr.write(redact(format_exception(kind, exc, tb)))

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit:
            return
        name = args.thread.name if args.thread is not None else "?"
        sys.stderr.write(f"Exception in thread {name}:\n")
        sys.stderr.write(
            redact(format_exception(args.exc_type, args.exc_value, args.exc_traceback))
        )

    sys.excepthook = hook
    threading.excepthook = thread_hook
