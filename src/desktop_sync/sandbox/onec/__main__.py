"""Serve the 1C sandbox alone until SIGINT/SIGTERM (``desktop-sync sandbox`` serves both).

    python -m desktop_sync.sandbox.onec [--port N] [--seed N] [--size small|medium|large]
                                        [--faults SPEC] [--tls-dir DIR] [--base NAME]

The first stdout line is JSON: url, user, password, configuration, ca_file.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import signal
import threading

from desktop_sync.sandbox.onec import start


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m desktop_sync.sandbox.onec")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--size", default="small", choices=("small", "medium", "large"))
    parser.add_argument("--configuration", default="bp30")
    parser.add_argument("--faults", default="")
    parser.add_argument("--tls-dir", type=pathlib.Path)
    parser.add_argument("--base", default="accounting")
    args = parser.parse_args(argv)
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    with start(
        args.host,
        args.port,
        seed=args.seed,
        size=args.size,
        configuration=args.configuration,
        faults=args.faults,
        tls_dir=args.tls_dir,
        base=args.base,
    ) as sb:
        print(
            json.dumps(
                {
                    "url": sb.url,
                    "user": sb.user,
                    "password": sb.password,
                    "configuration": sb.configuration,
                    "ca_file": str(sb.ca_file) if sb.ca_file else None,
                },
                ensure_ascii=False,
            ),
            flush=True,
        )
        done.wait()


if __name__ == "__main__":
    main()
