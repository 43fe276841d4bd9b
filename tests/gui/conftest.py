"""Window tests: offscreen Qt (tests/conftest.py), the binding's work-around applied first."""

from __future__ import annotations

from desktop_sync.gui.qtcompat import pin_singletons

pin_singletons()  # before any Qt call: see desktop_sync.gui.qtcompat
