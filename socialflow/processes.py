"""Child processes that die with their parent, so a killed worker never leaves ffmpeg behind."""

import ctypes
import signal
import sys

_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """``preexec_fn`` for ``subprocess``: the kernel sends SIGKILL to the child when the thread that
    started it dies (Linux ``PR_SET_PDEATHSIG``); a no-op elsewhere."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
