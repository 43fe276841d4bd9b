"""A faithful local 1C OData sandbox: Бухгалтерия 3.0 (``bp30``) or Управление торговлей 11
(``ut11``); research/onec.md is the reference.

    with start(seed=1, size="small") as sb:        # a free port on 127.0.0.1
        httpx.get(sb.url + "/Catalog_Контрагенты?$format=json", auth=(sb.user, sb.password))

- ``sb.url`` is the OData root; ``sb.user``/``sb.password`` a full-rights user
  (Cyrillic name); ``sb.limited_user``/``sb.limited_password`` a user with partial
  rights and record-level security; ``sb.timezone`` the server's zone.
- ``sb.store`` is the infobase; ``sb.edit``/``post``/``unpost``/``mark_deleted``/
  ``delete``/``add`` act as a user in 1C would (DataVersion changes).
- ``sb.request_count`` and ``sb.stats`` (by method, by set) count requests served.
- ``faults`` grammar: see :mod:`desktop_sync.sandbox.onec.faults`;
  ``sb.faults.force(kind, n, method=None)`` forces the next answers;
  ``sb.hang_seconds`` is how long a ``timeout`` fault holds the line.
- ``tls_dir`` serves HTTPS with a generated CA (``sb.ca_file``).
- ``python -m desktop_sync.sandbox.onec`` serves it alone (first line: JSON).

docs/decisions/onec-sandbox.md lists what is modelled and where it is stricter.
"""

from __future__ import annotations

import pathlib

from desktop_sync.sandbox.dataset import build
from desktop_sync.sandbox.onec.faults import Faults
from desktop_sync.sandbox.onec.server import App, Handler, Server, Stats
from desktop_sync.sandbox.onec.store import Record, Store
from desktop_sync.sandbox.onec.story import LIMITED_PASSWORD, LIMITED_USER, PASSWORD, USER
from desktop_sync.sandbox.serving import Serving
from desktop_sync.sandbox.tls import serve_tls

TIMEZONE = "Europe/Moscow"

__all__ = ["OnecSandbox", "Store", "start"]


class OnecSandbox(Serving):
    """A running sandbox; stop it (or use ``with``) to free the port and threads."""

    user = USER
    password = PASSWORD
    limited_user = LIMITED_USER
    limited_password = LIMITED_PASSWORD
    timezone = TIMEZONE

    def __init__(
        self,
        host: str,
        port: int,
        *,
        seed: int,
        size: str,
        configuration: str,
        faults: str,
        tls_dir: pathlib.Path | None,
        base: str,
    ) -> None:
        """Build the seeded base and serve it on ``host:port`` (0 = a free port)."""
        self.store = _build_store(configuration, seed, size)
        self.configuration = configuration
        self._seed = seed
        server = Server((host, port), Handler)
        scheme = "http"
        self.ca_file: pathlib.Path | None = None
        if tls_dir is not None:
            self.ca_file = serve_tls(server, tls_dir)
            scheme = "https"
        real_port = server.server_address[1]
        shown_host = f"[{host}]" if ":" in host else host
        self.url = f"{scheme}://{shown_host}:{real_port}/{base}/odata/standard.odata"
        self._app = App(self.store, base, Faults(faults, seed), self.url)
        self.faults: Faults = self._app.faults
        server.RequestHandlerClass = type("BoundHandler", (Handler,), {"app": self._app})
        self._serve(server, self._app.stopping, "onec-sandbox")

    @property
    def stats(self) -> Stats:
        return self._app.stats

    @property
    def request_count(self) -> int:
        return self._app.stats.requests

    @property
    def hang_seconds(self) -> float:
        return self._app.hang_seconds

    @hang_seconds.setter
    def hang_seconds(self, value: float) -> None:
        self._app.hang_seconds = value

    def set_faults(self, spec: str, timeout_seconds: float | None = None) -> None:
        """Replace the fault plan while running (same grammar as ``start(faults=…)``);
        ``timeout_seconds`` is how long a ``timeout`` fault holds the line."""
        fresh = Faults(spec, self._seed)
        self.faults.fractions[:] = fresh.fractions
        self.faults.delay = fresh.delay
        if timeout_seconds is not None:
            self.hang_seconds = timeout_seconds

    # --- acting as a user in 1C --------------------------------------------------------

    def edit(self, entity_set: str, ref: str, **changes: object) -> Record:
        """Change fields and write, as in the 1C form (DataVersion changes)."""
        return self.store.update(entity_set, ref, dict(changes))

    def post(self, entity_set: str, ref: str) -> Record:
        return self.store.post(entity_set, ref)

    def unpost(self, entity_set: str, ref: str) -> Record:
        return self.store.unpost(entity_set, ref)

    def mark_deleted(self, entity_set: str, ref: str, mark: bool = True) -> Record:
        return self.store.mark_deleted(entity_set, ref, mark)

    def add(self, entity_set: str, **values: object) -> Record:
        """Create a record as a user would in the form (Code/Number assigned by 1C)."""
        return self.store.insert(entity_set, dict(values))

    def delete(self, entity_set: str, ref: str) -> None:
        self.store.delete(entity_set, ref)


def _build_store(configuration: str, seed: int, size: str) -> Store:
    """Each configuration brings its composition (schema) and its seeding; the server,
    query engine and serializers are shared."""
    if configuration == "bp30":
        from desktop_sync.sandbox.onec import bp30
        from desktop_sync.sandbox.onec import seed as seeding

        store = Store(bp30.build_schema())
        seeding.seed(store, build(seed, size))
        return store
    if configuration == "ut11":
        from desktop_sync.sandbox.onec import ut11, ut11_seed

        store = Store(ut11.build_schema())
        ut11_seed.seed(store, build(seed, size))
        return store
    raise ValueError(f"unknown configuration {configuration!r}: bp30 or ut11")


def start(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    seed: int = 1,
    size: str = "small",
    configuration: str = "bp30",
    faults: str = "",
    tls_dir: pathlib.Path | None = None,
    base: str = "accounting",
) -> OnecSandbox:
    """Build the seeded base and serve it on ``host:port`` (0 = a free port)."""
    return OnecSandbox(
        host,
        port,
        seed=seed,
        size=size,
        configuration=configuration,
        faults=faults,
        tls_dir=tls_dir,
        base=base,
    )
