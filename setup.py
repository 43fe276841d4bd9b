"""Only one thing pyproject.toml cannot say: ship ``resources/`` inside the package.

The translations (``resources/locale``) and icons live at the top of the repository,
where the frozen build and the tests read them. A wheel carries them as
``desktop_sync/resources/``, which ``desktop_sync.i18n.resources_dir`` finds first,
so a normal (non-editable) install speaks Russian too.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

RESOURCES = Path(__file__).resolve().parent / "resources"


class BuildPyWithResources(build_py):
    def run(self) -> None:
        super().run()
        if RESOURCES.is_dir():
            target = Path(self.build_lib) / "desktop_sync" / "resources"
            shutil.copytree(RESOURCES, target, dirs_exist_ok=True)


setup(cmdclass={"build_py": BuildPyWithResources})
