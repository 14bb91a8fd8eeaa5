"""The bot token never reaches a log line (issue 9, item 3): ``bot.logs.protect`` redacts it
from messages, arguments, tracebacks and stacks of any logger, and the excepthooks from
uncaught exceptions. Run in a child process: ``protect`` changes logging for the whole
process, and these tests must not change it for the others."""

from __future__ import annotations

import subprocess
import sys
import textwrap

TOKEN = "987654:SECRET-abc_DEF123"
SECRET = "SECRET-abc_DEF123"

SCRIPT = textwrap.dedent(
    f"""
    import logging, sys, threading
    from urllib.parse import quote
    from bot import logs

    logging.basicConfig(level=logging.DEBUG, stream=sys.stderr, format="%(name)s %(message)s")
    logs.protect({TOKEN!r})
    logs.redacting_excepthooks()
    token = {TOKEN!r}
    log = logging.getLogger("telegram.ext.Updater")
    log.error("rejected: %s", token)                      # an argument
    log.error("url https://api.telegram.org/bot" + token + "/getMe")   # the message
    log.error("encoded %s", quote(token, safe=""))        # URL-encoded
    log.error("half %s", token.split(":")[1])             # the secret half alone
    try:
        raise RuntimeError(f"The token `{{token}}` was rejected by the server.")
    except RuntimeError:
        logging.getLogger("apscheduler").exception("job failed")   # a traceback
    log.warning("where", stack_info=True)                 # a stack (no secret, still fine)
    t = threading.Thread(target=lambda: (_ for _ in ()).throw(ValueError(token)), name="w")
    t.start(); t.join()                                    # an uncaught exception in a thread
    print("done", file=sys.stderr, flush=True)
    raise ValueError(token)                                # uncaught in the main thread
    """
)


def test_the_token_never_reaches_stderr() -> None:
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60)
    err = out.stderr
    assert "done" in err, err  # the script ran to its end
    assert "Traceback" in err and "RuntimeError" in err and "ValueError" in err
    assert SECRET not in err and SECRET not in out.stdout, err
    assert "SECRET" not in err.replace("<token>", "")
    assert err.count("<token>") >= 7, err
    assert out.returncode != 0  # the last uncaught exception, printed redacted


def test_nothing_is_redacted_without_a_token() -> None:
    script = (
        "import logging, sys\nfrom bot import logs\n"
        "logging.basicConfig(stream=sys.stderr, format='%(message)s')\n"
        "logs.protect(None)\nlogging.getLogger('x').error('plain 987654:text')\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert out.stderr.strip() == "plain 987654:text"
