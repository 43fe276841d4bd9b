"""Is a folder on a network drive? SQLite's journal (WAL) must not live there.

SQLite's write-ahead log needs shared memory between the processes that open the
database, which SMB and NFS shares do not give: on a network drive the journal can
be damaged. ``--home`` on such a drive is allowed, with a warning.
"""

from __future__ import annotations

import os
import posixpath
import sys
from pathlib import Path
from typing import Any

NETWORK_FILESYSTEMS = frozenset(
    {"cifs", "smb3", "smbfs", "nfs", "nfs4", "afs", "9p", "ceph", "glusterfs", "fuse.sshfs"}
)
DRIVE_REMOTE = 4  # GetDriveTypeW


def is_network_path(path: Path, *, platform: str = sys.platform, mounts: str | None = None) -> bool:
    text = str(path)
    if platform == "win32":
        if text.startswith(("\\\\", "//")):  # \\server\share
            return True
        return _windows_drive_is_remote(text)
    if not platform.startswith("linux"):
        return False
    if mounts is None:
        try:
            mounts = Path("/proc/self/mounts").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return False
    best, fstype = "", ""
    target = posixpath.abspath(path.as_posix())
    for line in mounts.splitlines():
        fields = line.split()
        if len(fields) < 3:
            continue
        point = fields[1].replace("\\040", " ")
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) > len(best):
            best, fstype = point, fields[2]
    return fstype in NETWORK_FILESYSTEMS


def _windows_drive_is_remote(text: str) -> bool:  # pragma: no cover - Windows only
    import ctypes

    windll: Any = getattr(ctypes, "windll", None)  # Windows only
    drive = os.path.splitdrive(os.path.abspath(text))[0]
    if windll is None or not drive:
        return False
    return bool(windll.kernel32.GetDriveTypeW(drive + "\\") == DRIVE_REMOTE)
