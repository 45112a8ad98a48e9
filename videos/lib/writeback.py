"""Start the kernel writing a file's dirty pages while more of the file is still arriving.

An upload append is acknowledged only after ``fdatasync`` (tus: an acknowledged offset survives a
crash). Without a nudge the kernel writes the chunk's pages back lazily, so ``fdatasync`` waits for
all of them after the last byte arrived: network time, then disk time. ``sync_file_range`` with
``SYNC_FILE_RANGE_WRITE`` starts writeback of the range and returns without waiting for it (as
PostgreSQL's checkpointer does), so the disk works while the network delivers the rest and the
final ``fdatasync`` has little left to wait for. It guarantees nothing by itself: durability still
comes from ``fdatasync``. Linux only; elsewhere ``start_writeback`` does nothing.
"""

import ctypes
import ctypes.util
import logging

logger = logging.getLogger(__name__)

SYNC_FILE_RANGE_WRITE = 2  # <fcntl.h>: start writeback of dirty pages in the range, do not wait
KICK_EVERY_BYTES = 1 << 20  # small enough to overlap, large enough to be a few calls per 8 MiB chunk


def _load():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        function = libc.sync_file_range
    except (OSError, AttributeError, TypeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_longlong, ctypes.c_longlong, ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


_sync_file_range = _load()


def start_writeback(fd: int, offset: int, nbytes: int) -> None:
    """Ask the kernel to start writing ``nbytes`` at ``offset`` of ``fd`` to disk (best effort)."""
    if _sync_file_range is None or nbytes <= 0:
        return
    if _sync_file_range(fd, offset, nbytes, SYNC_FILE_RANGE_WRITE) != 0:
        # ESPIPE/EINVAL on a file system without it: harmless, fdatasync still makes it durable.
        logger.debug("sync_file_range failed: errno %s", ctypes.get_errno())
