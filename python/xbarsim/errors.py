"""The exceptions of xbarsim.

Every error the library reports is an :class:`XbarsimError` carrying the
same one-line, located message as the command line (``file:line:col: key:
what was expected``). Each is also an instance of the builtin that fits, so
``except ValueError`` and ``except FileNotFoundError`` work as usual.
"""


class XbarsimError(Exception):
    """Base class: a measurement, fit or run that xbarsim refused or that failed."""


class XbarsimValueError(XbarsimError, ValueError):
    """A setting, an input value or a file's content out of its domain."""


class XbarsimFileNotFoundError(XbarsimError, FileNotFoundError):
    """An input file or directory that does not exist."""


class XbarsimOSError(XbarsimError, OSError):
    """An output that cannot be written, or a results directory in use or holding other results."""


__all__ = [
    "XbarsimError",
    "XbarsimValueError",
    "XbarsimFileNotFoundError",
    "XbarsimOSError",
]
