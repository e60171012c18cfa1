"""A signal stack big enough for the CPU's whole state, on threads that may handle signals.

CPython installs its signal handlers with ``SA_ONSTACK``: a handler runs on the thread's
alternate signal stack when one is set. Compiling a model with OpenVINO leaves the calling
thread a small one (20 KiB seen here), and on a CPU with AMX (where the detectors run in
bfloat16) the kernel's signal frame does not fit in it: the next SIGHUP, SIGTERM or SIGINT
killed the process with SIGSEGV instead of reloading or stopping it. Giving the thread a
generous stack of our own, after every compile and before handlers are installed, fixes that on
every CPU; where there is no ``sigaltstack`` nothing is done. It lives here, beside the detectors
that cause it, because ``detectors/`` may not import the pipeline.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import sys

log = logging.getLogger(__name__)

STACK_BYTES = 1 << 20  # far above any x86 or ARM signal frame, AMX tiles included
_SS_DISABLE = 2
_kept: list[ctypes.Array[ctypes.c_char]] = []  # the stacks must outlive every handler call


class _StackT(ctypes.Structure):
    _fields_ = [
        ("ss_sp", ctypes.c_void_p),
        ("ss_flags", ctypes.c_int),
        ("ss_size", ctypes.c_size_t),
    ]


def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
    except OSError:
        return None


def current_signal_stack() -> tuple[int, bool] | None:
    """(size in bytes, enabled) of the calling thread's alternate signal stack; None when the
    platform has no ``sigaltstack`` to ask."""
    libc = _libc()
    if libc is None:
        return None
    old = _StackT()
    if libc.sigaltstack(None, ctypes.byref(old)) != 0:
        return None
    return int(old.ss_size), not (old.ss_flags & _SS_DISABLE)


def ensure_signal_stack(minimum: int = STACK_BYTES) -> bool:
    """Give the calling thread an alternate signal stack of at least ``minimum`` bytes (call it
    from the thread that installs the handlers: the main thread). True when one is in place."""
    current = current_signal_stack()
    if current is None:
        return False
    size, enabled = current
    if enabled and size >= minimum:
        return True
    libc = _libc()
    assert libc is not None  # current_signal_stack found it
    buffer = ctypes.create_string_buffer(minimum)
    stack = _StackT(ctypes.cast(buffer, ctypes.c_void_p).value, 0, minimum)
    if libc.sigaltstack(ctypes.byref(stack), None) != 0:
        log.warning("could not set a signal stack (errno %d)", ctypes.get_errno())
        return False
    _kept.append(buffer)
    return True
