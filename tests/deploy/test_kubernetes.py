"""deploy/kubernetes: every manifest validates against the Kubernetes schemas (kubernetes-validate, strict), every
reference between them resolves, and what they ask of the product exists: settings, `jnt` commands and options,
probe routes, ports, databases, participants."""

from __future__ import annotations

import shutil
import subprocess
from collections import defaultdict
from pathlib import Path, PurePosixPath
from typing import Any

import kubernetes_validate
import pytest
import yaml
from kubernetes_validate.utils import latest_version

from .deployfiles import (
    DSP_PATH,
    IMAGE,
    KUBERNETES,
    bootstrap_subcommands,
    containers_of,
    created_databases,
    database_of,
    iter_pod_specs,
    jnt_argv_of_container,
    kubernetes_documents,
    kubernetes_files,
    load_yaml,
    option_value,
    parse_jnt_argv,
    parse_participants,
    secret_setting_variables,
    service_of,
    setting_variables,
)

NAMESPACE = "jnt"
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "PersistentVolume", "StorageClass"}
OLDEST_SUPPORTED = "1.31"


@pytest.fixture(scope="module")
def documents() -> list[tuple[Path, dict[str, Any]]]:
    return kubernetes_documents()


def by_kind(documents, kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for _path, doc in documents if doc["kind"] == kind}


def env_of(container: dict[str, Any], documents) -> dict[str, dict[str, Any]]:
    """Every variable a container gets: name -> {"value": ...} or {"valueFrom": ...}, envFrom ConfigMaps first and
    `env` on top, as the kubelet does."""
    configmaps = by_kind(documents, "ConfigMap")
    result: dict[str, dict[str, Any]] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            for name, value in configmaps[source["configMapRef"]["name"]]["data"].items():
                result[name] = {"value": value, "from": "configmap"}
    for item in container.get("env", []):
        result[item["name"]] = item
    return result


def jnt_containers(documents):
    """(workload, pod spec, container, jnt argv or None) of every container of the JNT image."""
    for workload, spec, _doc in iter_pod_specs(documents):
        for container in containers_of(spec):
            if container["image"].split(":")[0] == IMAGE:
                yield workload, spec, container, jnt_argv_of_container(container)


def participants(documents):
    data = by_kind(documents, "ConfigMap")["jnt-participants"]["data"]["participants.txt"]
    return parse_participants(data)


# -- schemas and kustomize -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("version", [OLDEST_SUPPORTED, latest_version()])
def test_every_manifest_validates_against_the_kubernetes_schemas(documents, version):
    assert len(documents) >= 15
    problems = []
    for path, doc in documents:
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            problems.append(f"{path.name} {doc['kind']}/{doc['metadata'].get('name')}: "
                            f"{'.'.join(map(str, exc.path))}: {exc.message}")
        except kubernetes_validate.SchemaNotFoundError as exc:
            problems.append(f"{path.name}: {exc.message}")
    assert not problems, "\n".join(problems)


def test_the_validation_catches_a_broken_manifest(documents):
    """The schema check is real: a misspelt field or a wrong type fails it."""
    deployment = next(doc for _p, doc in documents if doc["kind"] == "Deployment")
    broken = yaml.safe_load(yaml.safe_dump(deployment))
    broken["spec"]["template"]["spec"]["containers"][0]["livenesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, latest_version(), strict=True)
    broken = yaml.safe_load(yaml.safe_dump(deployment))
    broken["spec"]["replicas"] = "one"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, latest_version(), strict=True)


def test_the_kustomization_lists_every_manifest():
    kustomization = load_yaml(KUBERNETES / "kustomization.yaml")
    assert kustomization["namespace"] == NAMESPACE
    assert sorted(kustomization["resources"]) == sorted(p.name for p in kubernetes_files())
    assert [image["name"] for image in kustomization["images"]] == [IMAGE]


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl (with its built-in kustomize) not installed")
def test_kustomize_renders_valid_manifests():
    rendered = subprocess.run(["kubectl", "kustomize", str(KUBERNETES)], capture_output=True, text=True,
                              timeout=120)
    assert rendered.returncode == 0, rendered.stderr
    docs = [doc for doc in yaml.safe_load_all(rendered.stdout) if doc]
    assert len(docs) == len(kubernetes_documents())
    for doc in docs:
        kubernetes_validate.validate(doc, latest_version(), strict=True)
        if doc["kind"] not in CLUSTER_SCOPED:
            assert doc["metadata"]["namespace"] == NAMESPACE
        assert doc["metadata"]["labels"]["app.kubernetes.io/part-of"] == "jnt-dataspace"


def test_every_namespaced_object_is_in_the_namespace(documents):
    namespaces = by_kind(documents, "Namespace")
    assert list(namespaces) == [NAMESPACE]
    assert namespaces[NAMESPACE]["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    for path, doc in documents:
        if doc["kind"] not in CLUSTER_SCOPED:
            assert doc["metadata"].get("namespace") == NAMESPACE, f"{path.name}: {doc['kind']} outside {NAMESPACE}"


# -- references between objects --------------------------------------------------------------------------------------

def test_every_reference_resolves(documents):
    configmaps, secrets = by_kind(documents, "ConfigMap"), by_kind(documents, "Secret")
    claims, accounts = by_kind(documents, "PersistentVolumeClaim"), by_kind(documents, "ServiceAccount")
    # Secrets the bootstrap Job creates at run time: one credential per participant
    created = {f"jnt-credential-{p.name}" for p in participants(documents)}
    problems = []
    for workload, spec, doc in iter_pod_specs(documents):
        where = f"{doc['kind']} {workload}"
        selector = doc["spec"].get("selector", {}).get("matchLabels")
        if doc["kind"] != "Job":
            labels = doc["spec"]["template"]["metadata"]["labels"]
            if not selector or any(labels.get(k) != v for k, v in selector.items()):
                problems.append(f"{where}: selector {selector} does not match the pod labels {labels}")
        if "serviceAccountName" in spec and spec["serviceAccountName"] not in accounts:
            problems.append(f"{where}: no ServiceAccount {spec['serviceAccountName']}")
        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        templates = {t["metadata"]["name"] for t in doc["spec"].get("volumeClaimTemplates", [])}
        for volume in volumes.values():
            if "persistentVolumeClaim" in volume and volume["persistentVolumeClaim"]["claimName"] not in claims:
                problems.append(f"{where}: no PersistentVolumeClaim {volume['persistentVolumeClaim']['claimName']}")
            if "configMap" in volume and volume["configMap"]["name"] not in configmaps:
                problems.append(f"{where}: no ConfigMap {volume['configMap']['name']}")
            if "secret" in volume:
                name = volume["secret"]["secretName"]
                if name not in secrets and name not in created:
                    problems.append(f"{where}: no Secret {name}")
                for item in volume["secret"].get("items", []):
                    if name in secrets and item["key"] not in secrets[name]["stringData"]:
                        problems.append(f"{where}: Secret {name} has no key {item['key']}")
        for container in containers_of(spec):
            for mount in container.get("volumeMounts", []):
                if mount["name"] not in volumes and mount["name"] not in templates:
                    problems.append(f"{where}/{container['name']}: mounts an undeclared volume {mount['name']}")
            for source in container.get("envFrom", []):
                if source.get("configMapRef", {}).get("name") not in configmaps:
                    problems.append(f"{where}/{container['name']}: envFrom an unknown ConfigMap")
            for item in container.get("env", []):
                ref = item.get("valueFrom", {}).get("secretKeyRef")
                if ref and ref["key"] not in secrets.get(ref["name"], {}).get("stringData", {}):
                    problems.append(f"{where}/{container['name']}: {item['name']} from a missing secret key "
                                    f"{ref['name']}/{ref['key']}")
        mounted = {m["name"] for c in containers_of(spec) for m in c.get("volumeMounts", [])}
        unused = set(volumes) - mounted
        if unused:
            problems.append(f"{where}: volumes never mounted: {sorted(unused)}")
    assert not problems, "\n".join(problems)


def test_services_and_ingress_reach_real_ports(documents):
    services = by_kind(documents, "Service")
    pods = [(spec, doc["spec"]["template"]["metadata"]["labels"]) for _w, spec, doc in iter_pod_specs(documents)]
    problems = []
    for name, service in services.items():
        selector = service["spec"]["selector"]
        selected = [spec for spec, labels in pods if all(labels.get(k) == v for k, v in selector.items())]
        if len(selected) != 1:
            problems.append(f"Service {name} selects {len(selected)} workloads")
            continue
        ports = {p["name"]: p["containerPort"] for c in selected[0]["containers"] for p in c.get("ports", [])}
        for port in service["spec"]["ports"]:
            if port["targetPort"] not in ports:
                problems.append(f"Service {name}: targetPort {port['targetPort']} is no container port")
    for ingress in by_kind(documents, "Ingress").values():
        hosts = [rule["host"] for rule in ingress["spec"]["rules"]]
        tls_hosts = [host for entry in ingress["spec"]["tls"] for host in entry["hosts"]]
        assert sorted(hosts) == sorted(tls_hosts), "every public host is served over TLS, and only those"
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]
                service = services.get(backend["name"])
                if service is None:
                    problems.append(f"Ingress {rule['host']}{path['path']}: no Service {backend['name']}")
                elif backend["port"]["name"] not in {p["name"] for p in service["spec"]["ports"]}:
                    problems.append(f"Ingress {rule['host']}{path['path']}: Service {backend['name']} has no "
                                    f"port {backend['port']['name']}")
    assert not problems, "\n".join(problems)


# -- security and resources ------------------------------------------------------------------------------------------

def test_every_pod_is_locked_down(documents):
    problems = []
    for workload, spec, doc in iter_pod_specs(documents):
        pod = spec.get("securityContext", {})
        if pod.get("runAsNonRoot") is not True or not pod.get("runAsUser"):
            problems.append(f"{workload}: not runAsNonRoot with a non-zero runAsUser")
        if pod.get("seccompProfile", {}).get("type") != "RuntimeDefault":
            problems.append(f"{workload}: no RuntimeDefault seccomp profile")
        if doc["kind"] != "Job" and spec.get("automountServiceAccountToken") is not False:
            problems.append(f"{workload}: mounts a service-account token it does not need")
        for container in containers_of(spec):
            where = f"{workload}/{container['name']}"
            context = container.get("securityContext", {})
            if context.get("allowPrivilegeEscalation") is not False:
                problems.append(f"{where}: allowPrivilegeEscalation not false")
            if context.get("capabilities", {}).get("drop") != ["ALL"]:
                problems.append(f"{where}: capabilities not dropped (ALL)")
            if context.get("readOnlyRootFilesystem") is not True:
                problems.append(f"{where}: writable root file system")
            resources = container.get("resources", {})
            for kind in ("requests", "limits"):
                if not {"cpu", "memory"} <= set(resources.get(kind, {})):
                    problems.append(f"{where}: no cpu and memory {kind}")
    assert not problems, "\n".join(problems)


def test_secret_values_are_placeholders(documents):
    """The committed Secret holds placeholders only, never something that looks like a real secret."""
    for name, secret in by_kind(documents, "Secret").items():
        assert "data" not in secret, f"Secret {name}: base64 data committed"
        for key, value in secret["stringData"].items():
            assert value.startswith("CHANGE-ME"), f"Secret {name}/{key}: not a CHANGE-ME placeholder"


# -- what the manifests ask of the product ---------------------------------------------------------------------------

def test_every_jnt_command_line_parses_with_the_real_cli(documents):
    checked = 0
    for workload, _spec, container, argv in jnt_containers(documents):
        if argv is None:
            command = container["command"]
            assert command[0] == "jnt-bootstrap", f"{workload}/{container['name']}: runs {command[0]}"
            assert command[1] in bootstrap_subcommands(), f"{workload}: jnt-bootstrap has no {command[1]}"
            continue
        parse_jnt_argv(argv)
        checked += 1
    assert checked >= 4


def test_jnt_variables_are_real_settings_and_secrets_come_from_secrets(documents):
    settings, secret_settings = setting_variables(), secret_setting_variables()
    for name, configmap in by_kind(documents, "ConfigMap").items():
        for key in configmap["data"]:
            if key.startswith("JNT_"):
                assert key in settings, f"ConfigMap {name}: {key} is no JNT setting"
                assert key not in secret_settings, f"ConfigMap {name}: the secret {key} in a ConfigMap"
    seen = set()
    for workload, _spec, container, _argv in jnt_containers(documents):
        for name, item in env_of(container, documents).items():
            if name.startswith("JNT_"):
                seen.add(name)
                assert name in settings, f"{workload}/{container['name']}: {name} is no JNT setting"
                if name in secret_settings:
                    assert "secretKeyRef" in item.get("valueFrom", {}), \
                        f"{workload}/{container['name']}: {name} is a secret but not from a Secret"
    assert {"JNT_DATABASE_URL", "JNT_KEY_PASSPHRASE_FILE", "JNT_ADMIN_TOKEN", "JNT_MANAGEMENT_TOKEN"} <= seen


def test_long_running_services_have_probes_on_real_routes(documents, routes):
    services = set()
    for workload, _spec, container, argv in jnt_containers(documents):
        service = service_of(argv or [])
        if service is None:
            continue
        services.add(service)
        where = f"{workload}/{container['name']}"
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert list(ports.values()) == [int(option_value(argv, "--port"))], f"{where}: port differs from --port"
        assert option_value(argv, "--host") == "0.0.0.0", f"{where}: listens on loopback only"
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            assert probe in container, f"{where}: no {probe}"
            http = container[probe]["httpGet"]
            assert http["port"] in ports, f"{where}: {probe} on an unknown port {http['port']}"
            assert routes[service].exists(http["path"]), f"{where}: the {service} has no GET {http['path']}"
        assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"
        assert container["livenessProbe"]["httpGet"]["path"] == "/health/live"
    assert services == {"authority", "connector", "catalogue"}


def test_connectors_run_migrations_in_an_init_container(documents):
    connectors = 0
    for workload, spec, _doc in iter_pod_specs(documents):
        main = spec["containers"][0]
        if service_of(jnt_argv_of_container(main) or []) != "connector":
            continue
        connectors += 1
        upgrades = [c for c in spec.get("initContainers", []) if (jnt_argv_of_container(c) or [])[:2] == ["db", "upgrade"]]
        assert len(upgrades) == 1, f"{workload}: no `jnt db upgrade` init container"
        assert env_of(upgrades[0], documents)["JNT_DATABASE_URL"] == env_of(main, documents)["JNT_DATABASE_URL"]
        assert spec["initContainers"][-1] is upgrades[0], f"{workload}: migrations run last, once the identity is there"
    assert connectors >= 1


def test_databases_exist_and_passwords_come_from_the_postgres_secret(documents):
    statefulset = by_kind(documents, "StatefulSet")["jnt-postgres"]
    postgres = statefulset["spec"]["template"]["spec"]["containers"][0]
    postgres_env = {e["name"]: e for e in postgres["env"]}
    password_ref = postgres_env["POSTGRES_PASSWORD"]["valueFrom"]["secretKeyRef"]
    init = by_kind(documents, "ConfigMap")["jnt-postgres-init"]["data"]
    databases = created_databases("\n".join(init.values()))
    service = by_kind(documents, "Service")[statefulset["spec"]["serviceName"]]
    used = set()
    for workload, _spec, container, _argv in jnt_containers(documents):
        env = env_of(container, documents)
        if "JNT_DATABASE_URL" not in env:
            continue
        user, host, port, database = database_of(env["JNT_DATABASE_URL"]["value"])
        where = f"{workload}/{container['name']}"
        assert (host, port) == (service["metadata"]["name"], service["spec"]["ports"][0]["port"]), where
        assert user == postgres_env["POSTGRES_USER"]["value"], where
        assert database in databases, f"{where}: database {database} is not created by jnt-postgres-init"
        assert env["PGPASSWORD"]["valueFrom"]["secretKeyRef"] == password_ref, where
        used.add(database)
    assert used == databases, f"databases created but used by nobody: {databases - used}"


def test_the_key_passphrase_file_is_mounted_where_keys_are_used(documents):
    passphrase = PurePosixPath(by_kind(documents, "ConfigMap")["jnt-config"]["data"]["JNT_KEY_PASSPHRASE_FILE"])
    secrets = by_kind(documents, "Secret")
    users = 0
    for workload, spec, _doc in iter_pod_specs(documents):
        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        for container in containers_of(spec):
            argv = jnt_argv_of_container(container)
            needs_keys = service_of(argv or []) is not None or container.get("command", [None, None])[:2] in (
                ["jnt-bootstrap", "identity"], ["jnt-bootstrap", "credential"])
            if not needs_keys:
                continue
            users += 1
            mounts = [m for m in container["volumeMounts"] if PurePosixPath(m["mountPath"]) == passphrase.parent]
            assert mounts, f"{workload}/{container['name']}: nothing mounted at {passphrase.parent}"
            secret = volumes[mounts[0]["name"]]["secret"]
            items = {i["path"]: i["key"] for i in secret["items"]}
            assert items.get(passphrase.name) in secrets[secret["secretName"]]["stringData"], \
                f"{workload}/{container['name']}: {passphrase} is not the Secret's key passphrase"
    assert users >= 7


def test_participants_are_wired_end_to_end(documents, routes):
    """Each participant of the bootstrap Job's list has its pod (identity, credential Secret, public URL), its
    Ingress host, its database; the authority's public URL, DID and published paths agree with the settings."""
    config = by_kind(documents, "ConfigMap")["jnt-config"]["data"]
    ingress_hosts = {rule["host"]: rule for ingress in by_kind(documents, "Ingress").values()
                     for rule in ingress["spec"]["rules"]}
    init_sql = "\n".join(by_kind(documents, "ConfigMap")["jnt-postgres-init"]["data"].values())
    deployments = {name: spec for name, spec, doc in iter_pod_specs(documents) if doc["kind"] == "Deployment"}
    wired = set()
    listed = participants(documents)
    assert {p.role for p in listed} == {"connector", "catalogue"}
    for participant in listed:
        matches = [(name, spec) for name, spec in deployments.items()
                   if option_value(jnt_argv_of_container(spec["containers"][0]) or [], "--public-url")
                   == participant.public_url]
        assert len(matches) == 1, f"{participant.name}: no Deployment serving {participant.public_url}"
        name, spec = matches[0]
        wired.add(name)
        identity = [c["command"] for c in spec["initContainers"] if c.get("command", [""])[:2] == ["jnt-bootstrap", "identity"]]
        assert identity == [["jnt-bootstrap", "identity", "/var/lib/jnt", participant.host, participant.role]], name
        secrets = {v["secret"]["secretName"] for v in spec["volumes"] if "secret" in v}
        assert f"jnt-credential-{participant.name}" in secrets, f"{name}: does not wait for its credential Secret"
        assert participant.host in ingress_hosts, f"{participant.host}: not published by the Ingress"
        if participant.role == "connector":
            url = env_of(spec["containers"][0], documents)["JNT_DATABASE_URL"]["value"]
            assert database_of(url)[3] == participant.name and participant.name in created_databases(init_sql)
    authority_argv = jnt_argv_of_container(deployments["jnt-authority"]["containers"][0])
    authority_url = option_value(authority_argv, "--public-url")
    assert config["JNT_AUTHORITY_URL"] == authority_url
    assert config["JNT_TRUSTED_AUTHORITIES"] == "did:web:" + authority_url.removeprefix("https://")
    assert set(deployments) - wired == {"jnt-authority"}, "a Deployment that is no participant of the Job's list"
    # the authority publishes its DID document, directory and status lists — and not its admin API
    rule = ingress_hosts[authority_url.removeprefix("https://")]
    paths = [(p["path"], p["pathType"]) for p in rule["http"]["paths"]]
    for path, kind in paths:
        assert (routes["authority"].exists(path) if kind == "Exact" else routes["authority"].has_prefix(path)), path
        assert not "/admin/participants".startswith(path), f"{path} publishes the admin API"
    assert routes["authority"].has_prefix("/admin"), "the admin API moved: check what the Ingress publishes"
    # a participant's host publishes everything: its DID document, DSP endpoints or catalogue API
    for participant in listed:
        service = "connector" if participant.role == "connector" else "catalogue"
        assert routes[service].exists("/.well-known/did.json"), f"the {service} serves no did:web document"
        assert routes[service].has_prefix(DSP_PATH if service == "connector" else "/api"), service
        published = [(p["path"], p["pathType"]) for p in ingress_hosts[participant.host]["http"]["paths"]]
        assert published == [("/", "Prefix")], f"{participant.host}: publishes {published}, not the whole service"


def test_the_bootstrap_job_enrols_through_the_authority_service(documents):
    job = by_kind(documents, "Job")["jnt-bootstrap"]
    spec = job["spec"]["template"]["spec"]
    container = spec["containers"][0]
    assert container["command"][:2] == ["jnt-bootstrap", "secrets"]
    listing = PurePosixPath(container["command"][2])
    mount = next(m for m in container["volumeMounts"] if PurePosixPath(m["mountPath"]) == listing.parent)
    volume = next(v for v in spec["volumes"] if v["name"] == mount["name"])
    assert listing.name in by_kind(documents, "ConfigMap")[volume["configMap"]["name"]]["data"]
    env = env_of(container, documents)
    assert env["JNT_AUTHORITY_URL"]["value"] == "http://jnt-authority"  # the Service, port 80
    assert by_kind(documents, "Service")["jnt-authority"]["spec"]["ports"][0]["port"] == 80
    assert env["JNT_ADMIN_TOKEN"]["valueFrom"]["secretKeyRef"]["name"] == "jnt-secrets"
    binding = by_kind(documents, "RoleBinding")["jnt-bootstrap"]
    assert binding["subjects"][0]["name"] == spec["serviceAccountName"]
    rules = by_kind(documents, "Role")[binding["roleRef"]["name"]]["rules"]
    verbs = defaultdict(set)
    for rule in rules:
        for resource in rule["resources"]:
            verbs[resource].update(rule["verbs"])
    assert dict(verbs) == {"secrets": {"get", "create"}}, "the Job gets exactly what jnt-k8s-secret needs"
