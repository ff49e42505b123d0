"""`DashboardClient`: the HTTP client behind ``arbiter status`` and ``arbiter send``.

Plain ``urllib``: a command that runs once needs no event loop. Every
failure is an `ArbiterError` of one line, for the CLI to print.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from runtime import ArbiterError

__all__ = ["DEFAULT_URL", "DashboardClient", "render_readiness", "render_tree"]

DEFAULT_URL = "http://127.0.0.1:8700"

_COLOURS = {
    "running": "\x1b[32m",
    "paused": "\x1b[33m",
    "starting": "\x1b[33m",
    "restarting": "\x1b[33m",
    "failed": "\x1b[31m",
    "stopping": "\x1b[35m",
    "stopped": "\x1b[35m",
}
_DIM = "\x1b[2m"
_RED = "\x1b[31m"
_RESET = "\x1b[0m"


class DashboardClient:
    """Talks to a running dashboard.

    Args:
        url: the dashboard's base URL (``http://127.0.0.1:8700``).
        token: sent as ``Authorization: Bearer`` when not empty.
        timeout: seconds to wait for each answer.
    """

    def __init__(self, url: str = DEFAULT_URL, token: str = "", timeout: float = 10.0) -> None:
        if not url.startswith(("http://", "https://")):
            raise ArbiterError(f"--url {url!r}: expected http://HOST:PORT")
        self.url = url.rstrip("/")
        self._token = token
        self.timeout = timeout

    def get(self, path: str, *, ok: tuple[int, ...] = (200,)) -> Any:
        """GET ``path`` and return its JSON; a status outside ``ok`` raises `ArbiterError`."""
        return self._request("GET", path, None, ok)

    def send(self, actor: str, type_name: str, fields: dict[str, Any]) -> Any:
        """Ask the actor at ``actor`` the control message ``type_name`` with ``fields``.

        Returns:
            The actor's reply, decoded from JSON (None for lifecycle messages).

        Raises:
            ArbiterError: the server refused the message (its code and
                reason), or could not be reached.
        """
        if not actor.startswith("/"):
            raise ArbiterError(f"actor path {actor!r} must start with /, e.g. /app/chain/devnet")
        body = json.dumps({**fields, "type": type_name}).encode()
        answer = self._request("POST", f"/api/actors{actor}/messages?ask=1", body, (200, 202))
        return answer.get("reply") if isinstance(answer, dict) else answer

    def _request(self, method: str, path: str, body: bytes | None, ok: tuple[int, ...]) -> Any:
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked in __init__
            self.url + path, data=body, method=method, headers=headers
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ArbiterError(f"cannot reach the dashboard at {self.url}: {reason}") from exc
        try:
            answer = json.loads(raw) if raw else None
        except ValueError as exc:
            raise ArbiterError(f"{self.url}{path} answered {status} with no JSON") from exc
        if status not in ok:
            raise ArbiterError(_error_line(status, answer))
        return answer


def _error_line(status: int, answer: Any) -> str:
    error = answer.get("error") if isinstance(answer, dict) else None
    if isinstance(error, dict):
        return f"{error.get('code', status)}: {error.get('message', '')}"
    return f"the dashboard answered {status}"


def render_tree(actors: list[dict[str, Any]], colour: bool) -> str:
    """The actor tree as text: one line per actor, indented under its supervisor.

    Args:
        actors: ``GET /api/actors``, parents before children.
        colour: ANSI colours for states and errors (for a terminal).
    """
    if not actors:
        return ""
    names = []
    for actor in actors:
        path = actor["path"]
        depth = 0 if path == "/" else path.count("/")
        names.append("  " * depth + (path.rsplit("/", 1)[-1] or "/"))
    width = max(len(name) for name in names)
    classes = max(len(actor["actor"]) for actor in actors)
    lines = []
    for name, actor in zip(names, actors, strict=True):
        state = "paused" if actor.get("paused") and actor["state"] == "running" else actor["state"]
        shown_state = f"{state:<10}"
        if colour:
            shown_state = f"{_COLOURS.get(state, '')}{shown_state}{_RESET}"
        p99 = actor.get("handle_time_p99_us")
        lines.append(
            f"{name:<{width}}  {shown_state} {actor['actor']:<{classes}}  "
            f"mailbox {actor['mailbox_depth']}/{actor['mailbox_capacity']}  "
            f"handled {actor['handled_total']}  failed {actor['failed_total']}  "
            f"restarts {actor['restarts_total']}  "
            f"p99 {'-' if p99 is None else f'{p99:.0f}us'}"
        )
        if actor.get("last_error"):
            error = f"{' ' * (width + 2)}last error: {actor['last_error']}"
            lines.append(f"{_RED}{error}{_RESET}" if colour else error)
    return "\n".join(lines)


def render_readiness(ready: dict[str, Any], colour: bool) -> str:
    """``/readyz``'s answer as one line, then its reasons."""
    reasons = ready.get("reasons") or []
    if not reasons:
        line = "ready"
        return f"\x1b[32m{line}{_RESET}" if colour else line
    head = "not ready:"
    lines = [f"{_RED}{head}{_RESET}" if colour else head]
    lines += [f"  {_DIM if colour else ''}{reason}{_RESET if colour else ''}" for reason in reasons]
    return "\n".join(lines)
