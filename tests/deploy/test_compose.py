"""deploy/compose.yaml: its structure (images, dependencies, health checks, secrets, volumes, networks) and what it
asks of the product and of the other files of deploy/: real settings, `jnt` command lines that parse, probe routes
that exist, ports that agree, one proxy host, database and volume per participant, secrets that make-secrets.sh
makes. No Docker engine runs here: this is what can be checked without one."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import pytest

from .deployfiles import (
    DEPLOY,
    IMAGE,
    bootstrap_subcommands,
    compose,
    created_databases,
    database_of,
    jnt_variables_in,
    option_value,
    parse_jnt_argv,
    parse_participants,
    secret_setting_variables,
    service_of,
    setting_variables,
    wrapper_secret_variables,
)

CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return compose()


@pytest.fixture(scope="module")
def services(spec) -> dict[str, dict[str, Any]]:
    return spec["services"]


def jnt_argv(service: dict[str, Any]) -> list[str] | None:
    """The arguments `jnt` receives in this service, None when it runs something else."""
    entrypoint = service.get("entrypoint")
    if entrypoint is None:
        return None
    words = [str(w) for w in [*entrypoint, *service.get("command", [])]]
    if words[0] == "jnt-with-secrets":
        words = words[1:]
    return words[1:] if words[0] == "jnt" else None


def long_running(services) -> dict[str, dict[str, Any]]:
    """The JNT services that serve (authority, catalogue, connectors) -> their `jnt` argv."""
    return {name: s for name, s in services.items() if service_of(jnt_argv(s) or []) is not None}


def mounts(service: dict[str, Any]) -> dict[str, str]:
    """Container path -> source (named volume or ./relative path) of a service's volumes (short syntax)."""
    result = {}
    for entry in service.get("volumes", []):
        source, target, *_ = entry.split(":")
        result[target] = source
    return result


def participants():
    return parse_participants((DEPLOY / "participants.txt").read_text(encoding="utf-8"))


def caddy_sites() -> dict[str, tuple[str, int]]:
    """host -> (upstream service, port) of the Caddyfile's site blocks."""
    text = (DEPLOY / "caddy" / "Caddyfile").read_text(encoding="utf-8")
    sites = {}
    for host, body in re.findall(r"^([a-z0-9.-]+) \{\n(.*?)^\}", text, flags=re.MULTILINE | re.DOTALL):
        upstreams = re.findall(r"reverse_proxy ([a-z0-9_-]+):(\d+)", body)
        assert len(upstreams) == 1, f"Caddyfile {host}: {len(upstreams)} upstreams"
        assert "tls internal" in body, f"Caddyfile {host}: not served with the local CA"
        sites[host] = (upstreams[0][0], int(upstreams[0][1]))
    return sites


# -- structure -------------------------------------------------------------------------------------------------------

def test_every_service_has_an_image_and_its_dependencies_exist(services):
    assert {"postgres", "caddy", "bootstrap", "authority", "catalogue"} <= set(services)
    for name, service in services.items():
        assert "image" in service or "build" in service, f"{name}: no image nor build"
        for target, dependency in service.get("depends_on", {}).items():
            assert target in services, f"{name} depends on an unknown service {target}"
            assert dependency["condition"] in CONDITIONS, f"{name} -> {target}: {dependency['condition']}"
            if dependency["condition"] == "service_healthy":
                check = services[target].get("healthcheck", {})
                assert check.get("test") and not check.get("disable"), f"{name} waits for {target}'s health: none"
            if dependency["condition"] == "service_completed_successfully":
                assert services[target].get("restart", "no") == "no", f"{target} is one-shot but restarts"


def test_the_dependencies_have_no_cycle(services):
    done: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        assert name not in path, f"dependency cycle: {' -> '.join(path + (name,))}"
        if name not in done:
            for target in services[name].get("depends_on", {}):
                visit(target, path + (name,))
            done.add(name)

    for name in services:
        visit(name, ())


def test_jnt_services_are_built_from_the_one_image(services):
    jnt = {name: s for name, s in services.items() if s.get("image", "").split(":")[0] == IMAGE}
    assert set(jnt) == {"bootstrap", "authority", "catalogue", *(p.name for p in participants()
                                                                  if p.role == "connector")}
    assert len({s["image"] for s in jnt.values()}) == 1
    for name, service in jnt.items():
        assert service["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}, name
        assert (DEPLOY / service["build"]["context"] / service["build"]["dockerfile"]).is_file()


def test_long_running_services_are_healthchecked_restarted_and_locked_down(services):
    assert "test" in services["postgres"]["healthcheck"]
    assert services["postgres"]["healthcheck"]["test"][1] == "pg_isready"
    serving = long_running(services)
    assert len(serving) >= 5
    for name, service in serving.items():
        assert service["restart"] in ("unless-stopped", "always", "on-failure"), name
        assert service["healthcheck"]["test"][:2] == ["CMD", "jnt-healthcheck"], name
        assert service.get("read_only") is True and service.get("cap_drop") == ["ALL"], name
        assert "user" not in service, f"{name}: overrides the image's unprivileged user"


def test_secrets_are_declared_used_and_made_by_make_secrets(services, spec, tmp_path):
    declared = spec["secrets"]
    used = set()
    for name, service in services.items():
        mounted = set(service.get("secrets", []))
        assert mounted <= set(declared), f"{name}: undeclared secrets {mounted - set(declared)}"
        used |= mounted
        for variable, value in service.get("environment", {}).items():
            if variable.endswith("_FILE") and str(value).startswith("/run/secrets/"):
                secret = PurePosixPath(value).name
                assert secret in mounted, f"{name}: {variable} reads the secret {secret} it does not mount"
    assert used == set(declared), f"secrets declared but unused: {set(declared) - used}"
    assert {"admin_token", "key_passphrase", "management_token"} <= set(declared)
    # make-secrets.sh makes every one of them, at the path compose reads, and keeps them on a second run
    target = tmp_path / "secrets"
    run = subprocess.run(["bash", str(DEPLOY / "make-secrets.sh"), str(target)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    for name, secret in declared.items():
        relative = Path(secret["file"])
        assert relative.parent == Path("secrets"), f"{name}: not under deploy/secrets/"
        made = target / relative.name
        assert made.is_file() and len(made.read_text().strip()) >= 32, f"make-secrets.sh does not make {name}"
    before = {p.name: p.read_text() for p in target.iterdir()}
    subprocess.run(["bash", str(DEPLOY / "make-secrets.sh"), str(target)], check=True, capture_output=True)
    assert {p.name: p.read_text() for p in target.iterdir()} == before, "a second run changed the secrets"
    assert target.stat().st_mode & 0o077 == 0, "the secrets directory is readable by others"
    # and they are never committed
    assert (DEPLOY / "secrets" / ".gitignore").read_text().splitlines()[-2:] == ["*", "!.gitignore"]


def test_volumes_networks_and_bind_mounts_exist(services, spec):
    declared_volumes, used_volumes = set(spec["volumes"]), set()
    for name, service in services.items():
        for source in mounts(service).values():
            if source.startswith("."):
                assert (DEPLOY / source).exists(), f"{name}: bind-mounts {source}, which does not exist"
            else:
                assert source in declared_volumes, f"{name}: undeclared volume {source}"
                used_volumes.add(source)
        networks = service.get("networks", [])
        for network in networks if isinstance(networks, list) else networks.keys():
            assert network in spec["networks"], f"{name}: undeclared network {network}"
    assert used_volumes == declared_volumes, f"volumes declared but unused: {declared_volumes - used_volumes}"


# -- what the services ask of the product ----------------------------------------------------------------------------

def test_every_jnt_command_line_parses_with_the_real_cli(services):
    parsed = 0
    for name, service in services.items():
        argv = jnt_argv(service)
        if argv is not None:
            parse_jnt_argv(argv)
            parsed += 1
        elif service.get("entrypoint", [None])[-1] == "jnt-bootstrap":
            assert service["command"][0] in bootstrap_subcommands(), f"{name}: jnt-bootstrap has no such command"
    assert parsed == len(long_running(services))


def test_healthchecks_and_proxy_use_the_real_routes_and_ports(services, routes):
    sites = caddy_sites()
    for name, service in long_running(services).items():
        argv = jnt_argv(service)
        port = int(option_value(argv, "--port"))
        assert option_value(argv, "--host") == "0.0.0.0", f"{name}: listens on loopback only"
        url = urlsplit(service["healthcheck"]["test"][2])
        assert (url.hostname, url.port) == ("127.0.0.1", port), f"{name}: health check on another port"
        assert url.path == "/health/ready" and routes[service_of(argv)].exists(url.path), name
        upstreams = [host for host, upstream in sites.items() if upstream == (name, port)]
        assert len(upstreams) == 1, f"{name}: {len(upstreams)} proxy sites forward to {name}:{port}"
    for host, (upstream, _port) in sites.items():
        assert upstream in long_running(services), f"Caddyfile {host}: forwards to {upstream}, not a JNT service"


def test_jnt_variables_are_real_settings_and_secrets_come_from_files(services):
    settings, secrets, wrapped = setting_variables(), secret_setting_variables(), wrapper_secret_variables()
    assert wrapped - {"PGPASSWORD"} <= secrets, "jnt-with-secrets fills a variable that is no secret setting"
    for name, service in services.items():
        environment = service.get("environment", {})
        through_wrapper = (service.get("entrypoint") or [""])[0] == "jnt-with-secrets"
        for variable in environment:
            if variable in settings:
                assert variable not in secrets, f"{name}: the secret {variable} written into compose.yaml"
            elif variable.endswith("_FILE") and variable.removesuffix("_FILE") in wrapped:
                assert through_wrapper, f"{name}: {variable} needs the jnt-with-secrets entrypoint"
            else:
                assert not variable.startswith("JNT_"), f"{name}: {variable} is no JNT setting"


def test_the_scripts_and_docs_name_real_settings():
    settings, wrapped = setting_variables(), wrapper_secret_variables()
    files = [*(DEPLOY / "bin").iterdir(), DEPLOY / "make-secrets.sh", DEPLOY / "Dockerfile", DEPLOY / "README.md"]
    for path in files:
        for variable in jnt_variables_in(path.read_text(encoding="utf-8")):
            ok = variable in settings or (variable.endswith("_FILE") and variable.removesuffix("_FILE") in wrapped)
            assert ok, f"{path.relative_to(DEPLOY)}: {variable} is no JNT setting"


def test_participants_have_a_service_host_volume_and_database(services):
    """Each line of participants.txt: a proxy host (Caddyfile site and network alias), a volume the bootstrap
    fills and the service mounts, a database; connectors are services of the x-connector template."""
    sites = caddy_sites()
    aliases = set(services["caddy"]["networks"]["jnt"]["aliases"])
    assert aliases == set(sites), "the proxy's network aliases and its sites differ"
    databases = created_databases((DEPLOY / "postgres" / "init.sql").read_text(encoding="utf-8"))
    bootstrap = services["bootstrap"]
    command = bootstrap["command"]
    assert command[0] == "compose"
    ca_cert, bundle, listing, data_root = (PurePosixPath(p) for p in command[1:])
    bootstrap_mounts = mounts(bootstrap)
    assert bootstrap_mounts[str(listing)] == "./participants.txt"
    connectors = {name for name, s in services.items() if s.get("command", [])[:2] == ["connector", "serve"]}
    listed = participants()
    assert {p.name for p in listed if p.role == "connector"} == connectors
    assert sum(p.role == "catalogue" for p in listed) == 1 and len(connectors) >= 3
    assert {p.category for p in listed if p.role == "connector"} == {"public", "private"}
    for participant in listed:
        service = services[participant.name]
        environment = service["environment"]
        assert participant.host in sites and sites[participant.host][0] == participant.name
        assert participant.host.split(".")[0] == participant.name, "host = NAME.<domain>"
        public_url = option_value(jnt_argv(service), "--public-url") or environment.get("JNT_PUBLIC_URL")
        assert public_url == participant.public_url, f"{participant.name}: public URL {public_url}"
        data_dir = option_value(jnt_argv(service), "--data-dir")
        assert mounts(service)[data_dir] == participant.name, f"{participant.name}: data dir not on its volume"
        assert bootstrap_mounts[str(data_root / participant.name)] == participant.name, \
            f"the bootstrap does not fill the volume of {participant.name}"
        user, host, _port, database = database_of(environment["JNT_DATABASE_URL"])
        assert (user, host, database) == ("jnt", "postgres", participant.name) and database in databases
    # the authority: behind the proxy, its DID trusted by everyone, its URL everyone's authority
    authority = option_value(jnt_argv(services["authority"]), "--public-url")
    assert sites[urlsplit(authority).hostname][0] == "authority"
    assert database_of(services["authority"]["environment"]["JNT_DATABASE_URL"])[3] in databases
    for name, service in long_running(services).items():
        environment = service["environment"]
        assert environment["JNT_TRUSTED_AUTHORITIES"] == "did:web:" + urlsplit(authority).hostname, name
        assert environment["JNT_AUTHORITY_URL"] == authority, name
    used = {database_of(s["environment"]["JNT_DATABASE_URL"])[3] for s in long_running(services).values()}
    assert used == databases, f"databases created for nobody: {databases - used}"
    # the trust bundle: written from the proxy's CA where the proxy keeps it, read where SSL_CERT_FILE says
    caddy_data = {source: target for target, source in mounts(services["caddy"]).items()}["caddy_data"]
    ca_volume_root = next(PurePosixPath(t) for t, s in bootstrap_mounts.items() if s == "caddy_data")
    in_caddy = PurePosixPath(caddy_data) / ca_cert.relative_to(ca_volume_root)
    assert str(in_caddy) in " ".join(services["caddy"]["healthcheck"]["test"]), "caddy is healthy before its CA"
    trust_root = next(PurePosixPath(t) for t, s in bootstrap_mounts.items() if s == "trust")
    for name, service in services.items():
        if "SSL_CERT_FILE" in service.get("environment", {}):
            path = PurePosixPath(service["environment"]["SSL_CERT_FILE"])
            assert path == bundle, f"{name}: SSL_CERT_FILE is not the bundle the bootstrap writes"
            target = next((PurePosixPath(t) for t, s in mounts(service).items() if s == "trust"), None)
            assert target is not None and path.relative_to(target) == bundle.relative_to(trust_root), \
                f"{name}: the trust bundle is not mounted"
    clients = {"bootstrap", "catalogue", *connectors}
    assert {n for n, s in services.items() if "SSL_CERT_FILE" in s.get("environment", {})} == clients
