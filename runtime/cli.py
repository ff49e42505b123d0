"""The `arbiter` command line: one clear line on stderr and a non-zero exit for user errors."""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import pkgutil
import sys
from pathlib import Path

import msgspec

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
    run.add_argument(
        "--http", metavar="HOST:PORT", help="serve the dashboard here (dashboard.host/port)"
    )
    run.add_argument(
        "--devnet",
        action="store_true",
        help="start anvil, deploy the DEXes, make swap traffic, and follow that",
    )
    run.add_argument("--devnet-port", type=int, default=8545, help="the devnet anvil's port (8545)")
    run.set_defaults(command=_run)

    status = commands.add_parser("status", help="the actor tree with health, in the terminal")
    _dashboard_options(status)
    status.set_defaults(command=_status)

    send = commands.add_parser("send", help="send a control message to an actor; print the reply")
    send.add_argument("path", help="the actor's path, e.g. /app/chain/devnet")
    send.add_argument("type", help="the message type, e.g. Ping, Restart, SetParam")
    send.add_argument("fields", nargs="?", default="{}", metavar="JSON", help="its fields ({})")
    _dashboard_options(send)
    send.set_defaults(command=_send)

    devnet = commands.add_parser(
        "devnet", help="anvil with deployed Uniswap DEXes and swap traffic, in the foreground"
    )
    devnet.add_argument("--port", type=int, default=8545, help="anvil's port on 127.0.0.1 (8545)")
    devnet.add_argument(
        "--traffic",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="make random swaps so prices move (on)",
    )
    devnet.add_argument(
        "--interval", type=float, default=1.0, help="seconds between rounds of swaps (1)"
    )
    devnet.add_argument("--swaps-per-tick", type=int, default=1, help="swaps per round (1)")
    devnet.add_argument(
        "--config-out", type=Path, help="write the deployment (addresses, pools) as TOML here"
    )
    devnet.add_argument("--anvil-log", type=Path, help="append anvil's own log here")
    devnet.set_defaults(command=_devnet)

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
    if args.http is not None:
        from actors.dashboard import parse_http_address  # noqa: PLC0415

        host, port = parse_http_address(args.http)
        config = msgspec.structs.replace(
            config, dashboard=msgspec.structs.replace(config.dashboard, host=host, port=port)
        )
    from runtime.app import dashboard_settings  # noqa: PLC0415

    dashboard_settings(config, args.state_dir).check(os.environ.get("ARBITER_DASHBOARD_TOKEN", ""))
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
    devnet_port = args.devnet_port if args.devnet else None
    return loop.run(serve(config, state_dir, devnet_port), use_uvloop=runtime.uvloop)


def _dashboard_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--url", default="http://127.0.0.1:8700", help="the dashboard (http://127.0.0.1:8700)"
    )
    command.add_argument(
        "--state-dir",
        type=Path,
        default=Path(".arbiter"),
        help="where the token file is, unless $ARBITER_DASHBOARD_TOKEN is set (./.arbiter)",
    )


def _status(args: argparse.Namespace) -> int:
    from actors.dashboard import (  # noqa: PLC0415 - only these commands talk HTTP
        DashboardClient,
        read_token,
        render_readiness,
        render_tree,
    )

    client = DashboardClient(args.url, read_token(args.state_dir))
    actors = client.get("/api/actors")
    ready = client.get("/readyz", ok=(200, 503))
    colour = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    sys.stdout.write(f"{render_tree(actors, colour)}\n{render_readiness(ready, colour)}\n")
    return 0


def _send(args: argparse.Namespace) -> int:
    from actors.dashboard import DashboardClient, read_token  # noqa: PLC0415

    try:
        fields = json.loads(args.fields)
    except ValueError as exc:
        raise ArbiterError(f"JSON {args.fields!r} is not valid JSON: {exc}") from exc
    if not isinstance(fields, dict):
        raise ArbiterError(f"JSON {args.fields!r} must be an object of the message's fields")
    reply = DashboardClient(args.url, read_token(args.state_dir)).send(args.path, args.type, fields)
    sys.stdout.write(json.dumps(reply, indent=2) + "\n")
    return 0


def _devnet(args: argparse.Namespace) -> int:
    from actors.devnet import serve_devnet  # noqa: PLC0415 - only this command needs web3
    from runtime import loop  # noqa: PLC0415
    from runtime.logs import configure_logging  # noqa: PLC0415

    if not 0 < args.port < 65536:
        raise ArbiterError(f"--port {args.port}: must be between 1 and 65535")
    if not args.interval > 0:
        raise ArbiterError(f"--interval {args.interval}: must be > 0 seconds")
    if args.swaps_per_tick < 0:
        raise ArbiterError(f"--swaps-per-tick {args.swaps_per_tick}: must be >= 0")
    configure_logging("info")
    # web3.py logs every connect and disconnect at info.
    logging.getLogger("web3").setLevel(logging.WARNING)
    return loop.run(
        serve_devnet(
            port=args.port,
            traffic=args.traffic,
            interval=args.interval,
            swaps_per_tick=args.swaps_per_tick,
            config_out=args.config_out,
            anvil_log=args.anvil_log,
        )
    )


def _bench(args: argparse.Namespace) -> int:
    import benchmarks  # noqa: PLC0415 - only this command needs them

    names = sorted(m.name for m in pkgutil.iter_modules(benchmarks.__path__))
    if args.name not in names:
        raise ArbiterError(f"no benchmark {args.name!r}; there are: {', '.join(names)}")
    module = importlib.import_module(f"benchmarks.{args.name}")
    code: int = module.main(["--json"] if args.json else [])
    return code
