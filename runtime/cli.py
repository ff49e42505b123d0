"""The `arbiter` command line: one clear line on stderr and a non-zero exit for user errors."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from pathlib import Path

from runtime._exceptions import ArbiterError, ConfigError

__all__ = ["main"]

_USAGE_ERROR = 2


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``arbiter`` console script; returns the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.command(args)
    except ArbiterError as exc:
        sys.stderr.write(f"arbiter: {exc}\n")
        return _USAGE_ERROR
    except KeyboardInterrupt:
        return 130
    return code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="arbiter", description="A DEX-arbitrage runtime built as an actor system."
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="run the runtime process in the foreground")
    run.add_argument("--config", type=Path, help="TOML config file (see ops/arbiter.example.toml)")
    run.add_argument(
        "--state-dir", type=Path, default=Path(".arbiter"), help="state directory (./.arbiter)"
    )
    run.set_defaults(command=_run)

    bench = commands.add_parser("bench", help="run a benchmark from benchmarks/")
    bench.add_argument("name", help="benchmark name, e.g. runtime")
    bench.add_argument("--json", action="store_true", help="print one JSON object last")
    bench.set_defaults(command=_bench)
    return parser


def _run(args: argparse.Namespace) -> int:
    from runtime import loop  # noqa: PLC0415 - keeps `arbiter --help` fast
    from runtime.app import serve  # noqa: PLC0415
    from runtime.config import load_config  # noqa: PLC0415
    from runtime.logs import configure_logging  # noqa: PLC0415

    config = load_config(args.config)
    state_dir: Path = args.state_dir
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"state dir {state_dir} cannot be created: {exc}") from exc
    runtime = config.runtime
    configure_logging(
        runtime.log_level,
        Path(runtime.log_file) if runtime.log_file else state_dir / "arbiter.log",
        runtime.log_format,
    )
    return loop.run(serve(config, state_dir), use_uvloop=runtime.uvloop)


def _bench(args: argparse.Namespace) -> int:
    import benchmarks  # noqa: PLC0415 - only this command needs them

    names = sorted(m.name for m in pkgutil.iter_modules(benchmarks.__path__))
    if args.name not in names:
        raise ArbiterError(f"no benchmark {args.name!r}; there are: {', '.join(names)}")
    module = importlib.import_module(f"benchmarks.{args.name}")
    code: int = module.main(["--json"] if args.json else [])
    return code
