"""Reading the deployment files of deploy/ and checking them against the real product: its settings model, its
`jnt` command tree and the routes its apps serve. Shared by the deploy tests."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import typer
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
KUBERNETES = DEPLOY / "kubernetes"
BIN = DEPLOY / "bin"
COMPOSE_FILE = DEPLOY / "compose.yaml"
DSP_PATH = "/api/dsp/2025-1"
IMAGE = "jnt-dataspace"


# -- files ---------------------------------------------------------------------------------------------------------

def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def compose() -> dict[str, Any]:
    """compose.yaml with its YAML anchors and merge keys resolved (as docker compose reads it)."""
    return load_yaml(COMPOSE_FILE)


def kubernetes_files() -> list[Path]:
    return sorted(p for p in KUBERNETES.glob("*.yaml") if p.name != "kustomization.yaml")


def kubernetes_documents() -> list[tuple[Path, dict[str, Any]]]:
    documents = []
    for path in kubernetes_files():
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if document:
                documents.append((path, document))
    return documents


@dataclass(frozen=True)
class Participant:
    name: str
    host: str
    role: str
    category: str
    kind: str
    legal_name: str
    siren: str

    @property
    def did(self) -> str:
        return "did:web:" + self.host.replace(":", "%3A")

    @property
    def public_url(self) -> str:
        return f"https://{self.host}"


def parse_participants(text: str) -> list[Participant]:
    """The participant list format of deploy/bin/jnt-bootstrap: NAME|HOST|ROLE|CATEGORY|KIND|LEGAL NAME|SIREN."""
    participants = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("|")
        assert len(fields) == 7, f"participant line with {len(fields)} fields instead of 7: {line!r}"
        participants.append(Participant(*fields))
    return participants


# -- the product: settings, command line -----------------------------------------------------------------------------

@cache
def setting_variables() -> dict[str, Any]:
    """`JNT_<NAME>` -> the settings field, for every setting of `connector.settings.Settings`."""
    from connector.settings import Settings

    return {f"JNT_{name.upper()}": field for name, field in Settings.model_fields.items()}


@cache
def secret_setting_variables() -> frozenset[str]:
    from pydantic import SecretStr

    return frozenset(name for name, field in setting_variables().items()
                     if SecretStr in getattr(field.annotation, "__args__", (field.annotation,)))


@cache
def jnt_command() -> Any:
    """The click command tree of `jnt` (typer may bring its own copy of click: duck-typed below)."""
    from connector.cli import app

    return typer.main.get_command(app)


def is_group(command: Any) -> bool:
    return isinstance(getattr(command, "commands", None), dict)


def resolve_command(words: list[str]) -> tuple[Any, list[str], list[str]]:
    """(leaf command, its path, the remaining words) for `jnt WORDS...`; AssertionError for an unknown
    sub-command."""
    command = jnt_command()
    path: list[str] = []
    rest = list(words)
    while is_group(command):
        assert rest, f"`jnt {' '.join(path)}` needs a sub-command"
        name = rest.pop(0)
        sub = command.commands.get(name)
        assert sub is not None, f"`jnt {' '.join(path + [name])}`: no such command (have: " \
                                f"{', '.join(sorted(command.commands))})"
        command, path = sub, path + [name]
    return command, path, rest


def parse_jnt_argv(argv: list[str]) -> Any:
    """Parses `jnt ARGV...` with the real command tree, as the program would: unknown commands or options, missing
    required options, bad choices or numbers raise AssertionError. Returns the leaf command's context."""
    command, path, rest = resolve_command(argv)
    assert path, "no sub-command"
    try:
        return command.make_context("jnt " + " ".join(path), list(rest))
    except Exception as exc:  # click's UsageError / BadParameter (from typer's copy of click or click itself)
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        raise AssertionError(f"`jnt {shlex.join(argv)}` does not parse: {message}") from None


def option_names(command: Any) -> set[str]:
    names: set[str] = set()
    for param in command.params:
        names.update(param.opts)
        names.update(param.secondary_opts)
    return names


def check_shell_jnt_line(line: str) -> None:
    """A `jnt ...` command line in a shell script, whose values are variables: the sub-command path must exist and
    every `--option` written on it must be one of that command's options."""
    words = line.split()
    path_words = []
    for word in words:
        if not re.fullmatch(r"[a-z][a-z0-9-]*", word):
            break
        path_words.append(word)
    command, path, _ = resolve_command(path_words)
    known = option_names(command)
    for option in re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", line):
        assert option in known, f"`jnt {' '.join(path)}` has no option {option} (line: jnt {line})"


def shell_jnt_lines(text: str) -> list[str]:
    """The `jnt ...` invocations of a shell script (continuation lines joined, comment lines left out), without
    the leading `jnt`."""
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n\s*", " ", "\n".join(lines))
    return [m.group(1).strip() for m in re.finditer(r"(?:^|[\s;&|(!])jnt ([^\n;|&]*)", joined)]


def markdown_jnt_lines(text: str) -> list[str]:
    """The `jnt ...` commands of a Markdown file's code blocks: at the start of a line, after `exec SERVICE` or after
    `jnt-with-secrets` (without the leading `jnt`)."""
    blocks = re.findall(r"^```(?:sh|bash|console)?\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)
    joined = re.sub(r"\\\n\s*", " ", "\n".join(blocks))
    return [m.group(1).split("#")[0].strip() for m in
            re.finditer(r"(?:^|\bexec [\w-]+ |jnt-with-secrets )jnt ([^\n]*)", joined, flags=re.MULTILINE)]


# -- the product: the routes of its apps -----------------------------------------------------------------------------

@dataclass
class ServiceRoutes:
    """What the real app of a service answers to GET."""
    client: Any
    openapi_paths: list[str]

    def exists(self, path: str) -> bool:
        """False only when the app has no GET route for `path` (its own "Not Found" or "Method Not Allowed"),
        whatever the route answers (a 503 from /health/ready without workers is a route)."""
        response = self.client.get(path)
        if response.status_code == 405:
            return False
        if response.status_code != 404:
            return True
        try:
            return response.json() != {"detail": "Not Found"}
        except ValueError:
            return True

    def has_prefix(self, prefix: str) -> bool:
        """Some route lies under `prefix` (an Ingress path of type Prefix)."""
        base = prefix.rstrip("/")
        return any(p == base or p.startswith(base + "/") for p in self.openapi_paths) or self.exists(prefix)


@contextmanager
def running_apps(root: Path) -> Iterator[dict[str, ServiceRoutes]]:
    """The trust authority's, a connector's and the federated catalogue's apps, built in-process on SQLite under
    `root` the way `jnt ... serve` builds them (lifespans not started: no worker, no crawl, no network)."""
    from fastapi.testclient import TestClient
    from pydantic import SecretStr

    from connector.control.runtime import build_connector
    from connector.federated_catalog import build_catalogue
    from connector.identity import create_authority_app
    from connector.settings import Settings

    secret = SecretStr("deploy tests passphrase")

    def settings(name: str, url: str) -> Settings:
        return Settings(_env_file=None, data_dir=root / name, key_passphrase=secret, public_url=url,
                        trusted_authorities=["did:web:authority.jnt.test"],
                        management_token=SecretStr("management-token-for-tests"))

    authority = create_authority_app(settings("authority", "https://authority.jnt.test"))
    connector = build_connector(settings("connector", "https://ddtm44.jnt.test"), "https://ddtm44.jnt.test",
                                create_identity=True)
    catalogue = build_catalogue(settings("catalogue", "https://catalogue.jnt.test"), "https://catalogue.jnt.test",
                                create_identity=True, authority_url="https://authority.jnt.test")
    apps = {"authority": authority, "connector": connector.app, "catalogue": catalogue.app}
    try:
        yield {name: ServiceRoutes(TestClient(app), sorted(app.openapi()["paths"])) for name, app in apps.items()}
    finally:
        connector.close()
        catalogue.close()
        authority.state.authority.engine.dispose()


SERVE_COMMANDS = {("authority", "serve"): "authority", ("connector", "serve"): "connector",
                  ("catalog", "serve"): "catalogue"}


def service_of(argv: list[str]) -> str | None:
    """Which service a `jnt` argv runs (authority, connector, catalogue), None for a one-shot command."""
    return SERVE_COMMANDS.get(tuple(argv[:2]))


def option_value(argv: list[str], option: str) -> str | None:
    for i, word in enumerate(argv):
        if word == option and i + 1 < len(argv):
            return argv[i + 1]
        if word.startswith(option + "="):
            return word.split("=", 1)[1]
    return None


def database_of(url: str) -> tuple[str, str, int, str]:
    """(user, host, port, database) of a `postgresql+psycopg://` URL; AssertionError if it holds a password."""
    parts = urlsplit(url)
    assert parts.scheme == "postgresql+psycopg", f"{url}: not a postgresql+psycopg URL"
    assert parts.password is None, f"{url}: a password in a database URL (use PGPASSWORD from a secret)"
    return parts.username or "", parts.hostname or "", parts.port or 5432, parts.path.lstrip("/")


def created_databases(sql: str) -> set[str]:
    return set(re.findall(r"CREATE DATABASE\s+\"?([A-Za-z0-9_]+)\"?", sql, flags=re.IGNORECASE))


def wrapper_secret_variables() -> set[str]:
    """The variables deploy/bin/jnt-with-secrets fills from `<NAME>_FILE`."""
    text = (BIN / "jnt-with-secrets").read_text(encoding="utf-8")
    match = re.search(r'^SECRET_VARIABLES="([^"]+)"', text, flags=re.MULTILINE)
    assert match, "jnt-with-secrets: no SECRET_VARIABLES line"
    return set(match.group(1).split())


def bootstrap_subcommands() -> set[str]:
    """The sub-commands of deploy/bin/jnt-bootstrap (the labels of its `case $command`)."""
    text = (BIN / "jnt-bootstrap").read_text(encoding="utf-8")
    body = text[text.index("case $command in"):]
    return set(re.findall(r"^\s{8}([a-z]+)\)", body, flags=re.MULTILINE))


def jnt_variables_in(text: str) -> set[str]:
    return set(re.findall(r"\bJNT_[A-Z0-9_]*[A-Z0-9]", text))


def iter_pod_specs(documents: list[tuple[Path, dict[str, Any]]]) -> Iterator[tuple[str, dict[str, Any], dict]]:
    """(workload name, pod spec, workload document) of every Deployment, StatefulSet and Job."""
    for _path, doc in documents:
        if doc.get("kind") in ("Deployment", "StatefulSet", "Job"):
            yield doc["metadata"]["name"], doc["spec"]["template"]["spec"], doc


def containers_of(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [*spec.get("initContainers", []), *spec.get("containers", [])]


def jnt_argv_of_container(container: dict[str, Any]) -> list[str] | None:
    """The arguments given to `jnt` by a container of the JNT image (its entrypoint), None when the container runs
    another program (a helper script)."""
    command = container.get("command")
    if command is None:
        return [str(a) for a in container.get("args", [])]
    if command[0] == "jnt":
        return [str(a) for a in [*command[1:], *container.get("args", [])]]
    return None
