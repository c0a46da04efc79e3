import os
import sys

from lifecycle.cli import main


def run() -> int:
    """``main``, ending quietly when the reader of stdout goes away (``... | head``)."""
    try:
        code = main()
        sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
    except BrokenPipeError:
        # Point stdout at /dev/null so the interpreter's own flush at exit cannot fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, as any Unix tool on a closed pipe
    return code


sys.exit(run())
