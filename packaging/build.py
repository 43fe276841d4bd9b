"""Build desktop-sync with PyInstaller, in one command.

    python packaging/build.py               one-dir build: packaging/dist/desktop-sync/
    python packaging/build.py --onefile     one file per executable: packaging/dist/
    python packaging/build.py --installer   (Windows) then the Inno Setup installer

Needs the ``build`` extra (``pip install -e '.[build]'``) in the running Python;
the installer needs Inno Setup 6 (``iscc`` on PATH or in its default folder).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import buildinfo

DIST = buildinfo.PACKAGING / "dist"
WORK = buildinfo.PACKAGING / "build"
SPEC = buildinfo.PACKAGING / "desktop-sync.spec"
ISS = buildinfo.PACKAGING / "windows" / "desktop-sync.iss"


def folder_size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def find_iscc() -> str | None:
    found = shutil.which("iscc") or shutil.which("ISCC")
    if found:
        return found
    for base in (os.environ.get("PROGRAMFILES(X86)"), os.environ.get("PROGRAMFILES")):
        if base and (Path(base) / "Inno Setup 6" / "ISCC.exe").is_file():
            return str(Path(base) / "Inno Setup 6" / "ISCC.exe")
    return None


def build(onefile: bool, clean: bool) -> Path:
    info = buildinfo.read_info()
    WORK.mkdir(parents=True, exist_ok=True)
    ico = buildinfo.write_ico(buildinfo.RESOURCES / "icons" / "desktop-sync.png",
                              WORK / "desktop-sync.ico")  # fmt: skip
    print(f"== building {info.name} {info.version} ({'one file' if onefile else 'one folder'})"
          + ("" if ico else "; no Pillow: the PNG icon is used as it is"), flush=True)  # fmt: skip
    env = dict(os.environ, DESKTOP_SYNC_ONEFILE="1" if onefile else "0")
    cmd = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
           "--distpath", str(DIST), "--workpath", str(WORK), str(SPEC)]  # fmt: skip
    if clean:
        cmd.insert(3, "--clean")
    started = time.monotonic()
    subprocess.run(cmd, check=True, env=env, cwd=buildinfo.ROOT)
    target = DIST if onefile else DIST / "desktop-sync"
    if sys.platform.startswith("linux"):
        # Beside the executable, to install the menu entry by hand (see the packaging note).
        shutil.copy2(buildinfo.RESOURCES / "desktop-sync.desktop", target)
        shutil.copy2(buildinfo.RESOURCES / "icons" / "desktop-sync.png", target)
    print(f"== built {target} in {time.monotonic() - started:.0f} s, "
          f"{folder_size(target) / 2**20:.1f} MiB", flush=True)  # fmt: skip
    return target


def numeric_version(info: buildinfo.BuildInfo) -> str:
    """Windows' four-number file version: 0.2.0rc1 -> 0.2.0.0 (Inno Setup refuses letters)."""
    return ".".join(str(n) for n in info.numeric)


def installer() -> Path:
    if os.name != "nt":
        raise SystemExit("the installer is built on Windows (Inno Setup)")
    iscc = find_iscc()
    if iscc is None:
        raise SystemExit("Inno Setup 6 (iscc) not found: install it, or run without --installer")
    info = buildinfo.read_info()
    subprocess.run(
        [iscc, f"/DAppVersion={info.version}", f"/DAppNumericVersion={numeric_version(info)}",
         f"/DSourceDir={DIST / 'desktop-sync'}", f"/DIconFile={WORK / 'desktop-sync.ico'}",
         f"/O{DIST}", str(ISS)],
        check=True,
    )  # fmt: skip
    out = DIST / f"desktop-sync-{info.version}-setup.exe"
    print(f"== installer {out}", flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--onefile", action="store_true", help="one file per executable")
    parser.add_argument("--installer", action="store_true", help="Windows: Inno Setup too")
    parser.add_argument("--clean", action="store_true", help="drop PyInstaller's cache first")
    parser.add_argument(
        "--installer-only",
        action="store_true",
        help="Windows: the installer from the build already made (signed in between)",
    )
    args = parser.parse_args()
    if (args.installer or args.installer_only) and args.onefile:
        parser.error("the installer packs the one-folder build; drop --onefile")
    if args.installer_only:
        installer()
        return
    build(args.onefile, args.clean)
    if args.installer:
        installer()


if __name__ == "__main__":
    main()
