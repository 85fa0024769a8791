"""The compose file and the Kubernetes manifests hold together: images, ports, probes, settings names."""

import importlib
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic_settings import BaseSettings

REPO = Path(__file__).resolve().parents[1]
PARTS = ["gateway", "matching", "scheduling", "consent", "analytics"]


def settings_class(part: str) -> type[BaseSettings]:
    module = importlib.import_module(f"tandem_{part}.settings")
    cls: type[BaseSettings] = module.Settings
    return cls


def unknown_env_names(part: str, names: list[str]) -> list[str]:
    """Env names with this part's prefix that its Settings class does not read."""
    cls = settings_class(part)
    prefix = str(cls.model_config.get("env_prefix", "")).upper()
    fields = {f.upper() for f in cls.model_fields}
    return [n for n in names if not (n.startswith(prefix) and n[len(prefix) :] in fields)]


def load_all(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    return doc


@pytest.fixture(scope="module")
def manifests() -> list[dict[str, Any]]:
    kustomization = yaml.safe_load((REPO / "deploy/k8s/kustomization.yaml").read_text())
    docs: list[dict[str, Any]] = []
    for resource in kustomization["resources"]:
        docs += load_all(REPO / "deploy/k8s" / resource)
    return docs


def test_compose_infrastructure_images(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["postgres"]["image"] == "pgvector/pgvector:pg16"
    assert services["nats"]["image"].startswith("nats:2.")
    assert "-js" in services["nats"]["command"]


@pytest.mark.parametrize("part", PARTS)
def test_compose_part(compose: dict[str, Any], part: str) -> None:
    service = compose["services"][part]
    assert service["command"] == [part]
    assert service["ports"][0].endswith(":8000")
    assert service["depends_on"][f"migrate-{part}"] == {"condition": "service_completed_successfully"}
    assert "/readyz" in " ".join(service["healthcheck"]["test"])
    assert unknown_env_names(part, list(service["environment"])) == []
    migrate = compose["services"][f"migrate-{part}"]
    assert migrate["command"] == ["migrate", part]
    assert f"{part.upper()}_DATABASE_URL" in migrate["environment"]


@pytest.mark.parametrize("part", PARTS)
def test_k8s_deployment_and_service(manifests: list[dict[str, Any]], part: str) -> None:
    deployment = next(d for d in manifests if d["kind"] == "Deployment" and d["metadata"]["name"] == part)
    service = next(d for d in manifests if d["kind"] == "Service" and d["metadata"]["name"] == part)
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["args"] == [part]
    assert container["ports"] == [{"name": "http", "containerPort": 8000}]
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
    env_names = [e["name"] for e in container["env"]]
    assert unknown_env_names(part, env_names) == []
    secrets = [e for e in container["env"] if "secretKeyRef" in e.get("valueFrom", {})]
    assert f"{part.upper()}_DATABASE_URL" in [e["name"] for e in secrets]
    assert f"{part.upper()}_INTERNAL_SECRET" in [e["name"] for e in secrets]


def test_k8s_migration_jobs(manifests: list[dict[str, Any]]) -> None:
    jobs = {d["metadata"]["name"]: d for d in manifests if d["kind"] == "Job"}
    assert sorted(jobs) == sorted(f"migrate-{p}" for p in PARTS)
    for part in PARTS:
        container = jobs[f"migrate-{part}"]["spec"]["template"]["spec"]["containers"][0]
        assert container["args"] == ["migrate", part]


def test_entrypoint_knows_every_part() -> None:
    script = (REPO / "deploy/entrypoint.sh").read_text()
    assert "gateway|matching|scheduling|consent|analytics)" in script
    assert 'alembic -c "$dir/alembic.ini"' in script


def test_compose_router_is_opt_in(compose: dict[str, Any]) -> None:
    router = compose["services"]["router"]
    assert router["profiles"] == ["router"]
    assert router["image"].startswith("ghcr.io/apollographql/router:v2.")
    assert "./deploy/router/router.yaml:/dist/config/router.yaml:ro" in router["volumes"]
    assert "./deploy/router/supergraph.graphql:/dist/schema/supergraph.graphql:ro" in router["volumes"]
    assert router["ports"] == ["4000:4000"]


def test_k8s_router_not_deployed_by_default(manifests: list[dict[str, Any]]) -> None:
    assert [d for d in manifests if d["metadata"]["name"] in ("router", "tandem-router")] == []


def test_k8s_router_manifest() -> None:
    docs = {d["kind"]: d for d in load_all(REPO / "deploy/k8s/router.yaml")}
    assert sorted(docs) == ["ConfigMap", "Deployment", "Service"]
    # The ConfigMap carries the committed files verbatim, so the cluster runs what tests/test_router.py checked.
    for name in ("router.yaml", "supergraph.graphql"):
        assert docs["ConfigMap"]["data"][name] == (REPO / "deploy/router" / name).read_text(), name
    router = yaml.safe_load(docs["ConfigMap"]["data"]["router.yaml"])
    assert router["supergraph"]["listen"] == "0.0.0.0:4000"
    assert router["health_check"]["listen"] == "0.0.0.0:8088"
    deployment, service = docs["Deployment"], docs["Service"]
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["image"].startswith("ghcr.io/apollographql/router:v2.")
    assert container["ports"] == [
        {"name": "http", "containerPort": 4000},
        {"name": "health", "containerPort": 8088},
    ]
    assert container["readinessProbe"]["httpGet"] == {"path": "/health?ready", "port": "health"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/health", "port": "health"}
    mounts = {m["mountPath"]: m["subPath"] for m in container["volumeMounts"]}
    assert mounts == {
        "/dist/config/router.yaml": "router.yaml",
        "/dist/schema/supergraph.graphql": "supergraph.graphql",
    }
    assert container["args"] == [
        "--config",
        "/dist/config/router.yaml",
        "--supergraph",
        "/dist/schema/supergraph.graphql",
    ]
    volume = deployment["spec"]["template"]["spec"]["volumes"][0]
    assert volume["configMap"]["name"] == docs["ConfigMap"]["metadata"]["name"]
    assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
    assert service["spec"]["ports"][0]["targetPort"] == "http"
