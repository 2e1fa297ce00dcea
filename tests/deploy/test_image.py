"""deploy/Dockerfile, .dockerignore and the helper scripts the image carries (deploy/bin): what the image runs is
the project's `jnt` console script, it holds every package, it runs unprivileged, and each helper works."""

from __future__ import annotations

import base64
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib

import pytest

from .deployfiles import (
    BIN,
    DEPLOY,
    ROOT,
    check_shell_jnt_line,
    markdown_jnt_lines,
    parse_jnt_argv,
    shell_jnt_lines,
)
from .fakes import FakeKubernetes, fake_kubernetes_api, http_server

DOCKERFILE = DEPLOY / "Dockerfile"
SHELL_SCRIPTS = [BIN / "jnt-bootstrap", BIN / "jnt-with-secrets", DEPLOY / "make-secrets.sh"]
PYTHON_SCRIPTS = [BIN / "jnt-healthcheck", BIN / "jnt-k8s-secret"]


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined, comments left out."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    result = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            result.append((keyword.upper(), rest.strip()))
    return result


def final_stage() -> list[tuple[str, str]]:
    steps = instructions()
    last_from = max(i for i, (keyword, _) in enumerate(steps) if keyword == "FROM")
    return steps[last_from:]


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


# -- Dockerfile ------------------------------------------------------------------------------------------------------

def test_the_entrypoint_is_the_jnt_console_script():
    scripts = pyproject()["project"]["scripts"]
    assert scripts["jnt"] == "connector.cli:main"
    entrypoints = [json.loads(args) for keyword, args in final_stage() if keyword == "ENTRYPOINT"]
    assert entrypoints == [["jnt"]]
    # the wheel installed is this project's: pip installs it by its distribution name
    installs = [args for keyword, args in final_stage() if keyword == "RUN" and "pip install" in args]
    assert len(installs) == 1 and installs[0].split()[-1] == pyproject()["project"]["name"]


def copy_sources() -> list[str]:
    """The sources of the Dockerfile's COPY instructions from the build context."""
    sources = []
    for keyword, args in instructions():
        if keyword == "COPY" and "--from" not in args:
            sources += [word for word in args.split()[:-1] if not word.startswith("--")]
    return sources


def test_the_build_stage_copies_every_package_and_the_wheel_metadata():
    stages = [args for keyword, args in instructions() if keyword == "FROM"]
    assert len(stages) >= 2 and stages[0].endswith("AS build"), "multi-stage: build, then runtime"
    copied = {source.rstrip("/") for source in copy_sources()}
    packages = {pattern.rstrip("*") for pattern in pyproject()["tool"]["setuptools"]["packages"]["find"]["include"]}
    assert packages <= copied, f"packages not copied into the build: {packages - copied}"
    assert {"pyproject.toml", pyproject()["project"]["readme"]} <= copied
    # the Python of the image satisfies requires-python
    base = next(args for keyword, args in instructions() if keyword == "ARG" and args.startswith("PYTHON_IMAGE="))
    version = tuple(int(n) for n in re.search(r"python:(\d+)\.(\d+)", base).groups())
    required = tuple(int(n) for n in re.search(r">=\s*(\d+)\.(\d+)", pyproject()["project"]["requires-python"]).groups())
    assert version >= required


def test_the_runtime_is_unprivileged_with_data_under_var_lib_jnt():
    stage = final_stage()
    users = [args for keyword, args in stage if keyword == "USER"]
    assert len(users) == 1 and re.fullmatch(r"[1-9]\d*:[1-9]\d*", users[0]), "a numeric non-root USER"
    uid = users[0].split(":")[0]
    setup = " ".join(args for keyword, args in stage if keyword == "RUN")
    assert f"--uid {uid}" in setup and f"-o {uid}" in setup and "/var/lib/jnt" in setup
    env = " ".join(args for keyword, args in stage if keyword == "ENV")
    assert "JNT_DATA_DIR=/var/lib/jnt" in env
    assert [args for keyword, args in stage if keyword == "EXPOSE"] == ["8000"]
    assert ("WORKDIR", "/var/lib/jnt") in stage


def test_the_healthcheck_asks_readiness_with_python():
    checks = [args for keyword, args in final_stage() if keyword == "HEALTHCHECK"]
    assert len(checks) == 1
    command = json.loads(checks[0][checks[0].index("CMD") + 3:].strip())
    assert command == ["jnt-healthcheck", "http://127.0.0.1:8000/health/ready"]
    helper = (BIN / "jnt-healthcheck").read_text(encoding="utf-8")
    assert helper.startswith("#!/usr/bin/env python3") and "urllib.request" in helper
    copies = [args for keyword, args in final_stage() if keyword == "COPY"]
    assert any(args.split()[-2:] == ["deploy/bin/", "/usr/local/bin/"] for args in copies)


def glob_regex(pattern: str) -> re.Pattern:
    """A .dockerignore pattern as a regex: `*` and `?` stay within a path segment, `**` crosses them."""
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out)


def dockerignore_allows(path: str) -> bool:
    """Docker's rule: the last pattern that matches the path or one of its parent directories decides."""
    patterns = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    parts = path.split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    allowed = True
    for pattern in patterns:
        regex = glob_regex(pattern.lstrip("!").rstrip("/"))
        if any(regex.fullmatch(candidate) for candidate in candidates):
            allowed = pattern.startswith("!")
    return allowed


def test_the_build_context_holds_what_the_dockerfile_copies_and_nothing_private():
    for source in copy_sources():
        assert (ROOT / source).exists(), f"COPY {source}: not in the repository"
        inside = source + "x.py" if source.endswith("/") else source
        assert dockerignore_allows(inside), f"COPY {source}: left out of the build context by .dockerignore"
    for private in (".venv/bin/python", ".git/config", "var/keys/key.json", "deploy/secrets/admin_token",
                    "tests/conftest.py", "connector/__pycache__/cli.cpython-311.pyc",
                    "jnt_dataspace.egg-info/PKG-INFO", "deploy/compose.yaml"):
        assert not dockerignore_allows(private), f"{private} would be sent to the Docker daemon"
    assert dockerignore_allows("connector/cli.py") and dockerignore_allows("deploy/bin/jnt-bootstrap")


# -- the helper scripts ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("script", SHELL_SCRIPTS, ids=lambda p: p.name)
def test_shell_scripts_parse(script):
    interpreter = "sh" if script.read_text().startswith("#!/bin/sh") else "bash"
    result = subprocess.run([interpreter, "-n", str(script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert os.access(script, os.X_OK), f"{script.name} is not executable"


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck not installed")
@pytest.mark.parametrize("script", SHELL_SCRIPTS, ids=lambda p: p.name)
def test_shell_scripts_pass_shellcheck(script):
    result = subprocess.run(["shellcheck", str(script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("argv, error", [
    (["connector", "serve", "--port", "eighty"], "--port"),
    (["connector", "serve", "--data-dir", "/d", "--public-uri", "https://x"], "--public-uri"),
    (["authority", "enrol", "--did", "did:web:x", "--name", "X", "--kind", "ddt"], "--category"),
    (["authority", "enrol", "--did", "d", "--name", "X", "--kind", "k", "--category", "public-body"], "--category"),
    (["db", "migrate"], "no such command"),
    (["connector"], "needs a sub-command"),
])
def test_the_cli_check_catches_mistakes(argv, error):
    """The command-line check the deployment tests rely on parses for real (typer's click, whichever copy)."""
    with pytest.raises(AssertionError, match=error):
        parse_jnt_argv(argv)
    assert parse_jnt_argv(["connector", "serve", "--port", "8000"]).params["port"] == 8000


def test_the_jnt_commands_of_the_scripts_exist():
    """Each `jnt ...` line of the scripts names a real command and only its real options."""
    lines = shell_jnt_lines((BIN / "jnt-bootstrap").read_text(encoding="utf-8"))
    assert [line.split()[:2] for line in lines] == [
        ["participant", "init"], ["participant", "init"], ["participant", "set-credential"],
        ["authority", "enrol"]]
    for line in lines:
        check_shell_jnt_line(line)
    with pytest.raises(AssertionError, match="no option --endpoints"):
        check_shell_jnt_line('participant init --data-dir "$dir" --endpoints "$url"')
    with pytest.raises(AssertionError, match="no such command"):
        check_shell_jnt_line('participant enrol --did "$did"')


def test_the_jnt_commands_of_the_deployment_docs_exist():
    lines = markdown_jnt_lines((DEPLOY / "README.md").read_text(encoding="utf-8"))
    assert len(lines) >= 2
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    lines += markdown_jnt_lines(readme[readme.index("## Deployment"):])
    for line in lines:
        check_shell_jnt_line(line)


@pytest.mark.parametrize("script", PYTHON_SCRIPTS, ids=lambda p: p.name)
def test_python_scripts_compile(script):
    compile(script.read_text(encoding="utf-8"), str(script), "exec")
    assert os.access(script, os.X_OK)


def run_wrapper(env: dict[str, str], *command: str) -> subprocess.CompletedProcess:
    base = {"PATH": os.environ["PATH"]}
    return subprocess.run([str(BIN / "jnt-with-secrets"), *command], env={**base, **env}, capture_output=True,
                          text=True)


def test_jnt_with_secrets_exports_file_secrets(tmp_path):
    (tmp_path / "admin").write_text("admin-secret-for-tests\n")
    (tmp_path / "db").write_text("pg-password")
    result = run_wrapper({"JNT_ADMIN_TOKEN_FILE": str(tmp_path / "admin"), "PGPASSWORD_FILE": str(tmp_path / "db"),
                          "JNT_KEY_PASSPHRASE_FILE": "/kept/as/is"}, "env")
    assert result.returncode == 0, result.stderr
    env = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
    assert env["JNT_ADMIN_TOKEN"] == "admin-secret-for-tests" and env["PGPASSWORD"] == "pg-password"
    assert "JNT_ADMIN_TOKEN_FILE" not in env and "PGPASSWORD_FILE" not in env
    assert env["JNT_KEY_PASSPHRASE_FILE"] == "/kept/as/is", "JNT reads that one itself"


@pytest.mark.parametrize("case", ["missing", "empty", "both"])
def test_jnt_with_secrets_refuses_a_bad_secret(tmp_path, case):
    (tmp_path / "empty").write_text("")
    env = {"missing": {"JNT_MANAGEMENT_TOKEN_FILE": str(tmp_path / "nope")},
           "empty": {"JNT_MANAGEMENT_TOKEN_FILE": str(tmp_path / "empty")},
           "both": {"JNT_MANAGEMENT_TOKEN_FILE": str(tmp_path / "empty"), "JNT_MANAGEMENT_TOKEN": "x"}}[case]
    result = run_wrapper(env, "true")
    assert result.returncode == 2 and "JNT_MANAGEMENT_TOKEN" in result.stderr


class Probe(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        self.send_response(200 if self.path == "/health/ready" else 503)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args) -> None:
        pass


def test_jnt_healthcheck_exit_status_follows_the_answer():
    def check(url: str) -> int:
        return subprocess.run([sys.executable, str(BIN / "jnt-healthcheck"), url], capture_output=True).returncode

    with http_server(Probe) as base:
        assert check(base + "/health/ready") == 0
        assert check(base + "/health/down") == 1
    assert check(base + "/health/ready") == 1, "nobody listening any more"


@pytest.fixture
def fake_kubernetes(tmp_path):
    with fake_kubernetes_api(tmp_path) as env:
        yield env


def test_jnt_k8s_secret_creates_a_secret_once(tmp_path, fake_kubernetes):
    def run(*args: str) -> int:
        env = {"PATH": os.environ["PATH"], **fake_kubernetes}
        return subprocess.run([sys.executable, str(BIN / "jnt-k8s-secret"), *args], env=env,
                              capture_output=True).returncode

    credential = tmp_path / "credential.jwt"
    credential.write_text("eyJ.credential.sig\n")
    assert run("exists", "jnt-credential-ddtm44") == 1
    assert run("create", "jnt-credential-ddtm44", "credential.jwt", str(credential)) == 0
    assert run("exists", "jnt-credential-ddtm44") == 0
    assert run("create", "jnt-credential-ddtm44", "credential.jwt", str(credential)) == 3
    stored = FakeKubernetes.secrets["jnt-credential-ddtm44"]
    assert base64.b64decode(stored["data"]["credential.jwt"]) == b"eyJ.credential.sig\n"
    assert stored["type"] == "Opaque" and stored["kind"] == "Secret"
    assert set(FakeKubernetes.tokens) == {"Bearer service-account-token"}
    assert run("create", "only-a-name") == 2, "usage error"
