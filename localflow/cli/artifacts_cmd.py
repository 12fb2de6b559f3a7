"""`localflow server ...` (the local artifact server) and `localflow artifacts ...` (a run's artifacts)."""

from __future__ import annotations

import typer

server_app = typer.Typer(help="The local artifact server (MinIO, or SeaweedFS with LOCALFLOW_ARTIFACT_SERVER).",
                         no_args_is_help=True, rich_markup_mode=None)
artifacts_app = typer.Typer(help="A run's artifacts.", no_args_is_help=True, rich_markup_mode=None)


def _client():
    from localflow.runtime.docker_runtime import connect
    return connect()


def _guard(fn):
    """Errors as one line (exit code from the error), as every command."""
    import functools

    @functools.wraps(fn)
    def wrapper(*a, **kw):
        from localflow.cli import output as O
        with O.user_errors():
            return fn(*a, **kw)
    return wrapper


def _print_status(st) -> None:
    from localflow.cli import output as O
    if not st.exists:
        O.out("artifact server: not created (it starts on the first run that passes artifacts, "
              "or with `localflow server start`)")
        return
    rows = [("state", st.state or ""), ("ready", "yes" if st.ready else "no"), ("kind", st.kind or ""),
            ("image", st.image or ""), ("endpoint", st.endpoint or ""),
            ("network endpoint", st.network_endpoint or ""), ("console", st.console_url or "-"),
            ("data volume", st.volume or "")]
    for k, v in rows:
        O.out(f"{k + ':':<18}{v}")


@server_app.command("status")
@_guard
def server_status() -> None:
    """Show the artifact server: state, endpoint, console URL.

    Example: localflow server status
    """
    from localflow.cli.artifact_server import status
    _print_status(status(_client()))


@server_app.command("start")
@_guard
def server_start() -> None:
    """Start the artifact server now (it also starts by itself when a run needs it).

    Example: localflow server start
    """
    from localflow.cli.artifact_server import ensure as ensure_server
    from localflow.cli.artifact_server import status
    client = _client()
    ensure_server(client)
    _print_status(status(client))


@server_app.command("stop")
@_guard
def server_stop(remove_data: bool = typer.Option(False, "--remove-data", help="also delete its data volume")) -> None:
    """Stop and remove the artifact server container (its data volume stays unless --remove-data).

    Example: localflow server stop
    """
    from localflow.runtime.artifact_server import stop_server
    from localflow.cli import output as O
    stop_server(_client(), remove_data=remove_data)
    O.out("artifact server stopped" + (" and its data removed" if remove_data else ""))


def _stored_artifact(run: str, node: str, name: str) -> dict:
    from localflow.errors import LocalflowError
    from localflow.store.db import Store
    store = Store()
    wf = store.get_run(store.resolve(run))
    for n in wf["status"]["nodes"].values():
        if node in (n["id"], n["name"], n.get("displayName")):
            for art in (n.get("outputs") or {}).get("artifacts", []):
                if art["name"] == name:
                    return art
            have = [a["name"] for a in (n.get("outputs") or {}).get("artifacts", [])]
            raise LocalflowError(f"node {node!r} has no output artifact {name!r} (it has: {', '.join(have) or 'none'})")
    raise LocalflowError(f"run {run!r} has no node {node!r}")


@artifacts_app.command("get")
@_guard
def artifacts_get(run: str = typer.Argument(..., help="run name or @latest"),
                  node: str = typer.Argument(..., help="node display name, name or id"),
                  name: str = typer.Argument(..., help="artifact name"),
                  output: str = typer.Option(".", "--output", "-o", help="folder to download into")) -> None:
    """Download one output artifact of a node, unpacked as Argo's executor would.

    Example: localflow artifacts get @latest generate-artifact hello-art -o /tmp/out
    """
    import os

    from localflow.artifacts.run_store import RunArtifactStore
    from localflow.artifacts.transfer import download
    from localflow.cli import output as O
    art = _stored_artifact(run, node, name)
    s3 = art.get("s3") or {}
    repo = _repo_for(s3)
    dest = os.path.join(output, os.path.basename((art.get("path") or name).rstrip("/")) or name)
    archive = "none" if "none" in (art.get("archive") or {}) else None
    path = download(RunArtifactStore(repo).repo, s3.get("key", ""), dest, archive)
    O.out(path)


def _repo_for(s3: dict):
    """The repository an artifact was stored in: LOCALFLOW_S3_* or the local server."""
    from localflow.artifacts.config import repository_from_env
    from localflow.artifacts.repository import S3Repository
    repo = repository_from_env()
    if repo is None or (s3.get("endpoint") and s3["endpoint"] != repo.endpoint):
        from localflow.cli.artifact_server import local_repository
        repo = local_repository(_client(), s3.get("bucket"))
    elif s3.get("bucket") and s3["bucket"] != repo.bucket:
        repo = S3Repository(repo.endpoint, repo.access_key, repo.secret_key, s3["bucket"], secure=repo.secure)
    return repo


@artifacts_app.command("list")
@_guard
def artifacts_list(run: str = typer.Argument(..., help="run name or @latest"),
                   output: str | None = typer.Option(None, "--output", "-o", help="json")) -> None:
    """List every node's output artifacts (name, key, size).

    Example: localflow artifacts list @latest
    """
    import json

    from localflow.cli import output as O
    from localflow.store.db import Store
    store = Store()
    wf = store.get_run(store.resolve(run))
    from localflow.report.common import output_artifacts
    rows = [{"node": n.get("displayName"), "name": art["name"], "key": (art.get("s3") or {}).get("key"),
             "size": art.get("size")} for n, art in output_artifacts(wf)]
    if output == "json":
        O.out(json.dumps(rows, indent=2))
        return
    O.out(f"{'NODE':<30} {'NAME':<20} {'SIZE':>10}  KEY")
    for r in rows:
        O.out(f"{r['node'] or '':<30} {r['name']:<20} {r['size'] if r['size'] is not None else '':>10}  {r['key']}")


def register(app: typer.Typer) -> None:
    app.add_typer(server_app, name="server")
    app.add_typer(artifacts_app, name="artifacts")
