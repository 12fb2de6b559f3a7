"""`localflow secret|configmap create/list/delete` and `localflow apply -f`, like kubectl, for the local
Secrets and ConfigMaps workflows read (`secretKeyRef`, `configMapKeyRef`, volumes, envFrom).

Secret values are never printed: listings show names, types and key counts only.
(No `from __future__ import annotations` here: typer must evaluate the Annotated help texts, which
use the enclosing function's variables, when the commands are defined.)
"""

import base64
import binascii
import os
import time
from typing import Annotated, Any

import typer

from . import output as O

KIND_OF = {"secret": "Secret", "configmap": "ConfigMap"}


def _fail(message: str, code: int = 1) -> None:
    O.err(f"localflow: {message}")
    raise typer.Exit(code)


def _age(path: str) -> str:
    from localflow.timefmt import short_duration as human_duration
    try:
        s = max(0.0, time.time() - os.path.getmtime(path))
    except OSError:
        return ""
    return f"{int(s // 86400)}d" if s >= 86400 else human_duration(s)


def _collect(literals: list[str], files: list[str]) -> dict[str, bytes]:
    """kubectl's --from-literal K=V and --from-file [K=]PATH (a folder adds each regular file in it)."""
    data: dict[str, bytes] = {}

    def put(key: str, value: bytes, what: str) -> None:
        import re
        if not re.fullmatch(r"[-._a-zA-Z0-9]+", key):
            _fail(f"{what}: {key!r} is not a valid key (letters, digits, '-', '_', '.')", 2)
        if key in data:
            _fail(f"{what}: key {key!r} given twice", 2)
        data[key] = value

    for lit in literals:
        if "=" not in lit or lit.startswith("="):
            _fail(f"--from-literal {lit!r}: expected KEY=VALUE", 2)
        k, v = lit.split("=", 1)
        put(k, v.encode(), "--from-literal")
    for spec in files:
        key, sep, path = spec.partition("=")
        if not sep:
            key, path = "", spec
        if os.path.isdir(path) and not key:
            for entry in sorted(os.listdir(path)):
                full = os.path.join(path, entry)
                if os.path.isfile(full):
                    put(entry, _read(full), f"--from-file {spec}")
            continue
        if not os.path.isfile(path):
            _fail(f"--from-file {spec}: no such file: {path}", 2)
        put(key or os.path.basename(path), _read(path), f"--from-file {spec}")
    return data


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        _fail(f"{path}: {e.strerror}", 2)
        raise


def _create(kind: str, name: str, literals: list[str], files: list[str]) -> None:
    from localflow.errors import LocalflowError
    from localflow.store import secrets as S
    data = _collect(literals, files)
    if not data:
        _fail("give at least one --from-literal KEY=VALUE or --from-file [KEY=]PATH", 2)
    if S.get(kind, name) is not None:
        _fail(f'{kind.lower()} "{name}" already exists (delete it first, or use localflow apply -f)')
    if kind == "Secret":
        manifest = S.secret_manifest(name, data)
    else:
        text = {}
        for k, v in data.items():
            try:
                text[k] = v.decode("utf-8")
            except UnicodeDecodeError:
                _fail(f"configmap {name}: {k} is not UTF-8 text (put binary data in a secret)", 2)
        manifest = S.config_map_manifest(name, text)
    try:
        S.save(manifest)
    except LocalflowError as e:
        _fail(str(e), getattr(e, "exit_code", 1))
    O.out(f"{kind.lower()}/{name} created")


def _list(kind: str, output: str | None) -> None:
    from localflow.store import secrets as S
    names = S.names(kind)
    if output == "name":
        for n in names:
            O.out(f"{kind.lower()}/{n}")
        return
    if not names:
        O.err(f"No {kind.lower()}s found")
        return
    base = S._dir(kind)
    rows = [("NAME", "TYPE", "DATA", "AGE") if kind == "Secret" else ("NAME", "DATA", "AGE")]
    for n in names:
        m = S.get(kind, n) or {}
        count = str(len(set(m.get("data") or {}) | set(m.get("stringData") or {}) | set(m.get("binaryData") or {})))
        age = _age(str(base / f"{n}.json"))
        rows.append((n, m.get("type", "Opaque"), count, age) if kind == "Secret" else (n, count, age))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    for r in rows:
        O.out("   ".join([c.ljust(w) for c, w in zip(r, widths)] + [r[-1]]).rstrip())


def delete_each(names: list[str], delete: Any, deleted: str, missing: str) -> None:
    """Delete each name (`delete(name)` says whether it existed); print `deleted` or `missing`
    (formats of {name}); exit 1 if any was missing."""
    code = 0
    for n in names:
        if delete(n):
            O.out(deleted.format(name=n))
        else:
            O.err("localflow: " + missing.format(name=n))
            code = 1
    raise typer.Exit(code)


def _delete(kind: str, names: list[str]) -> None:
    from localflow.store import secrets as S
    word = kind.lower()
    delete_each(names, lambda n: S.delete(kind, n), f'{word} "{{name}}" deleted', f'{word} "{{name}}" not found')


def normalise(doc: Any, where: str) -> dict:
    """A Secret or ConfigMap manifest checked as the API server would; Secret stringData folded into data."""
    from localflow.errors import SpecError
    if not isinstance(doc, dict):
        raise SpecError("expected a Kubernetes object (a mapping)", file=where)
    kind = doc.get("kind")
    if kind not in ("Secret", "ConfigMap"):
        raise SpecError(f"kind {kind!r}: only Secret, ConfigMap, WorkflowTemplate, ClusterWorkflowTemplate and "
                        "CronWorkflow can be applied (workflows run with localflow submit)", file=where)
    meta = doc.get("metadata") or {}
    name = meta.get("name") if isinstance(meta, dict) else None
    if not name:
        raise SpecError("metadata.name is required", file=where, path=kind)
    where = f"{where}: {kind.lower()}/{name}"

    def strings(field: str) -> dict[str, str]:
        value = doc.get(field) or {}
        if not isinstance(value, dict):
            raise SpecError(f"{field} must be a mapping of keys to strings", file=where)
        for k, v in value.items():
            if not isinstance(v, str):
                raise SpecError(f"{field}.{k}: must be a string, not {type(v).__name__} (quote it)", file=where)
        return value

    out: dict[str, Any] = {"apiVersion": "v1", "kind": kind, "metadata": {"name": name}}
    if kind == "Secret":
        data = {}
        for k, v in strings("data").items():
            try:
                base64.b64decode(v, validate=True)
            except (binascii.Error, ValueError):
                raise SpecError(f"data.{k}: not valid base64 (use stringData for plain text)", file=where) from None
            data[k] = v
        for k, v in strings("stringData").items():
            data[k] = base64.b64encode(v.encode()).decode()
        out["type"] = doc.get("type") or "Opaque"
        out["data"] = data
    else:
        out["data"] = dict(strings("data"))
        binary = strings("binaryData")
        for k, v in binary.items():
            try:
                raw = base64.b64decode(v, validate=True)
                out["data"][k] = raw.decode("utf-8")
            except (binascii.Error, ValueError, UnicodeDecodeError):
                raise SpecError(f"binaryData.{k}: only base64 of UTF-8 text is supported here", file=where) from None
    return out


STORED_KINDS = ("WorkflowTemplate", "ClusterWorkflowTemplate", "CronWorkflow")


def _apply(files: list[str]) -> None:
    """Secrets and ConfigMaps to their stores; (Cluster)WorkflowTemplates and CronWorkflows, validated
    as `argo lint` checks them, to the template store. All or nothing; kubectl's output lines."""
    from localflow.errors import LocalflowError
    from localflow.store import secrets as S
    from localflow.store import templates as T

    from .manifests import check_argo_documents, read_documents
    try:
        docs = read_documents(files)
        if not docs:
            _fail("no objects to apply", 2)
        argo = [(d, w) for d, w in docs if d.get("kind") in STORED_KINDS]
        manifests = [normalise(d, w) for d, w in docs if d.get("kind") not in STORED_KINDS]
        check_argo_documents(argo)
        for m in manifests:
            existed = S.get(m["kind"], m["metadata"]["name"]) is not None
            S.save(m)
            O.out(f"{m['kind'].lower()}/{m['metadata']['name']} {'configured' if existed else 'created'}")
        for d, _ in argo:
            existed = T.save(d)
            O.out(f"{d['kind'].lower()}.argoproj.io/{d['metadata']['name']} {'configured' if existed else 'created'}")
    except LocalflowError as e:
        _fail(str(e), getattr(e, "exit_code", 1))


def _group(kind: str) -> typer.Typer:
    word = kind.lower()
    g = typer.Typer(help=f"Local {kind}s that workflows can reference, as in Kubernetes.", no_args_is_help=True, rich_markup_mode=None)

    @g.command("create")
    def create(
        name: Annotated[str, typer.Argument(help=f"the {word}'s name")],
        from_literal: Annotated[list[str] | None, typer.Option("--from-literal", help="KEY=VALUE, repeatable")] = None,
        from_file: Annotated[list[str] | None, typer.Option(
            "--from-file", help="[KEY=]PATH (key: the file's name), repeatable")] = None,
    ) -> None:
        _create(kind, name, from_literal or [], from_file or [])

    create.__doc__ = (f"Create a {word} from literal values and files.\n\n"
                      f"Example: localflow {word} create my-{word} --from-literal user=admin "
                      "--from-file token=./token.txt")

    @g.command("list")
    def list_(output: Annotated[str | None, typer.Option("--output", "-o", help="name")] = None) -> None:
        if output not in (None, "name"):
            _fail(f"-o {output}: expected name", 2)
        _list(kind, output)

    list_.__doc__ = f"List the local {word}s (names and key counts; never values).\n\nExample: localflow {word} list"

    @g.command("delete")
    def delete(names: Annotated[list[str], typer.Argument(help=f"{word} names")]) -> None:
        _delete(kind, names)

    delete.__doc__ = f"Delete local {word}s.\n\nExample: localflow {word} delete my-{word}"
    if kind == "ConfigMap":  # secrets are never printed

        @g.command("get")
        def get(name: Annotated[str, typer.Argument(help="the configmap's name")],
                output: Annotated[str, typer.Option("--output", "-o", help="yaml or json")] = "yaml") -> None:
            """Print a local configmap as a Kubernetes manifest (memoization caches included).

            Example: localflow configmap get cache-config -o json
            """
            _get(name, output)
    return g


def _get(name: str, output: str) -> None:
    import json

    from localflow.store import secrets as S
    if output not in ("yaml", "json"):
        _fail(f"-o {output}: expected yaml or json", 2)
    from localflow.errors import SpecError
    try:
        S._valid_name(name)
    except SpecError as e:
        _fail(str(e), 2)
    m = S.get("ConfigMap", name)
    if m is None:
        _fail(f'configmap "{name}" not found')
    if output == "json":
        O.out(json.dumps(m, indent=2))
    else:
        import yaml
        O.out(yaml.safe_dump(m, sort_keys=False).rstrip())


def register(app: typer.Typer) -> None:
    app.add_typer(_group("Secret"), name="secret", help="Create, list and delete local Secrets.")
    app.add_typer(_group("ConfigMap"), name="configmap", help="Create, list and delete local ConfigMaps.")

    @app.command("apply")
    def apply_cmd(
        file: Annotated[list[str], typer.Option("--filename", "-f",
                                                help="YAML file(s); - for stdin")],
    ) -> None:
        """Create or update local Secrets, ConfigMaps (data is base64, stringData text), WorkflowTemplates,
        ClusterWorkflowTemplates and CronWorkflows from manifests.

        Example: localflow apply -f secrets.yaml
        """
        _apply(file)
