"""Exit codes: a public interface that scripts and scheduled tasks depend on."""

from enum import IntEnum


class Exit(IntEnum):
    OK = 0  # done, nothing waits
    INTERNAL = 1  # a bug: the log has the details
    USAGE = 2  # usage or configuration error
    WAITING = 3  # done, items wait in the inbox for a person
    PARTIAL = 4  # partly failed for a reason that may pass; the next run resumes
    CANNOT_CONNECT = 5  # cannot connect or log in
    LOCKED = 6  # another run holds this profile's lock
