"""Wine 8.0 stand-ins, for the Windows Python that .ci/wine/setup lays out (only there).

Python 3.12+ copies files on Windows with ``CopyFile2`` (``shutil.copy2``, ``copy``,
``copytree``); Wine 8.0's kernel32 does not implement it and the process dies
("Unimplemented function KERNEL32.dll.CopyFile2"). Without the attribute, shutil
falls back to its portable copy (read, write, copystat), as on Python 3.11. Every
process of this Python loads this file, the console programs started by the tests too.
"""

import _winapi

if hasattr(_winapi, "CopyFile2"):
    del _winapi.CopyFile2
