"""Kubernetes: the GPU steps land on the right nodes (per dagster-k8s's own job construction), the
manifests pass Kubernetes' schemas, and the Helm values agree with them."""

from __future__ import annotations

from pathlib import Path

import kubernetes_validate
import pytest
import yaml
from dagster_k8s.job import DagsterK8sJobConfig, construct_dagster_k8s_job, get_user_defined_k8s_config

from techlead_pipeline.defs.assets.reviews import pr_review
from techlead_pipeline.defs.assets.training import reviewer_adapter, reviewer_evaluation

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
K8S_VERSION = "1.30.0"


def step_job(assets_def):
    tags = {k: v for k, v in assets_def.op.tags.items()}
    job_config = DagsterK8sJobConfig(
        job_image="ghcr.io/acme-labs/techlead-reviewer:0.1.0",
        dagster_home="/opt/dagster/dagster_home",
        instance_config_map="dagster-instance",
    )
    job = construct_dagster_k8s_job(
        job_config,
        args=["dagster", "api", "execute_step"],
        job_name="step",
        user_defined_k8s_config=get_user_defined_k8s_config(tags),
    )
    return job.spec.template.spec


@pytest.mark.parametrize(
    "assets_def,product,pool",
    [
        (reviewer_adapter, "NVIDIA-H100-80GB-HBM3", "train"),
        (reviewer_evaluation, "NVIDIA-H100-80GB-HBM3", "train"),
        (pr_review, "NVIDIA-L40S", "serve"),
    ],
)
def test_gpu_steps_request_the_right_nodes(assets_def, product, pool):
    pod = step_job(assets_def)
    assert pod.node_selector == {"nvidia.com/gpu.product": product, "techlead/pool": pool}
    assert [(t.key, t.operator, t.effect) for t in pod.tolerations] == [("nvidia.com/gpu", "Exists", "NoSchedule")]
    [container] = pod.containers
    assert container.resources.limits["nvidia.com/gpu"] == "1"
    assert container.resources.requests["nvidia.com/gpu"] == "1"
    assert assets_def.op.tags["techlead/gpu"] == pool


def manifests():
    for path in sorted((DEPLOY / "k8s").glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                yield path.name, doc


@pytest.mark.parametrize("name,doc", list(manifests()), ids=lambda x: x if isinstance(x, str) else x["kind"])
def test_manifests_pass_the_kubernetes_schema(name, doc):
    kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


def test_the_pieces_refer_to_each_other():
    docs = {(d["kind"], d["metadata"]["name"]) for _, d in manifests()}
    values = yaml.safe_load((DEPLOY / "helm" / "values.yaml").read_text())
    claims = {n for k, n in docs if k == "PersistentVolumeClaim"}
    launcher = values["runLauncher"]["config"]["k8sRunLauncher"]
    assert {v["persistentVolumeClaim"]["claimName"] for v in launcher["volumes"]} <= claims
    assert {c["name"] for c in launcher["envConfigMaps"]} <= {n for k, n in docs if k == "ConfigMap"}
    assert {s["name"] for s in launcher["envSecrets"]} <= {n for k, n in docs if k == "Secret"}
    [deployment] = values["dagster-user-deployments"]["deployments"]
    assert deployment["dagsterApiGrpcArgs"] == ["--module-name", "techlead_pipeline.definitions"]
    assert values["runLauncher"]["type"] == "K8sRunLauncher"
    limits = values["dagsterDaemon"]["runCoordinator"]["config"]["queuedRunCoordinator"]["tagConcurrencyLimits"]
    assert {"key": "techlead/gpu", "value": "train", "limit": 1} in limits
    config = next(d for _, d in manifests() if d["kind"] == "ConfigMap")["data"]
    vllm = next(d for _, d in manifests() if d["kind"] == "Deployment" and d["metadata"]["name"] == "vllm")
    container = vllm["spec"]["template"]["spec"]["containers"][0]
    assert "--enable-lora" in container["args"]
    mount = next(m for m in container["volumeMounts"] if m["name"] == "techlead-data")
    assert mount["mountPath"] == config["TECHLEAD_VLLM_ADAPTERS_ROOT"]
    assert mount["subPath"] == config["TECHLEAD_HOME"].removeprefix("/data/") + "/adapters"
    assert config["TECHLEAD_EXECUTOR"] == "k8s"


def test_the_webhook_service_is_reachable_probed_and_secret():
    docs = {(d["kind"], d["metadata"]["name"]): d for _, d in manifests()}
    deployment = docs[("Deployment", "techlead-webhook")]
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["command"][:2] == ["techlead", "webhook"]
    port = next(p for p in container["ports"] if p["name"] == "http")["containerPort"]
    assert container["command"][-1] == str(port)
    assert container["readinessProbe"]["httpGet"]["path"] == "/healthz"  # the database answers
    assert container["livenessProbe"]["httpGet"]["path"] == "/livez"  # a database outage restarts nothing
    secrets = {e["secretRef"]["name"] for e in container["envFrom"] if "secretRef" in e}
    assert "techlead-webhook" in secrets and secrets <= {n for k, n in docs if k == "Secret"}
    webhook_secret = docs[("Secret", "techlead-webhook")]["stringData"]
    assert set(webhook_secret) == {"TECHLEAD_WEBHOOK_SECRET"}
    service = docs[("Service", "techlead-webhook")]
    assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
    ingress = docs[("Ingress", "techlead-webhook")]
    assert ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-body-size"] == "26m"  # GitHub's 25 MB
    [rule] = ingress["spec"]["rules"]
    [path] = rule["http"]["paths"]
    assert path["path"] == "/webhook" and path["backend"]["service"]["name"] == "techlead-webhook"
    from techlead_pipeline.webhooks.service import default_app

    routes = {(r.path, m) for r in default_app().routes for m in r.methods}
    assert {("/webhook", "POST"), ("/healthz", "GET"), ("/livez", "GET")} <= routes


def test_prompts_are_cut_to_the_vllm_servers_context():
    config = next(d for _, d in manifests() if d["kind"] == "ConfigMap")["data"]
    vllm = next(d for _, d in manifests() if d["kind"] == "Deployment" and d["metadata"]["name"] == "vllm")
    args = vllm["spec"]["template"]["spec"]["containers"][0]["args"]
    assert f"--max-model-len={config['TECHLEAD_VLLM_MAX_MODEL_LEN']}" in args


def test_the_adapter_check_holds_adapters_to_what_vllm_is_started_with():
    """reviewer_adapter's checks compare with the served model's name and --max-lora-rank: the
    defaults are deploy/k8s/vllm.yaml's arguments, and the CPU profile's rank fits under them."""
    import yaml

    from techlead_pipeline.adapters.base_models import REGISTRY
    from techlead_pipeline.defs.resources import VLLM_MAX_LORA_RANK, VLLM_SERVED_MODEL

    docs = list(yaml.safe_load_all((DEPLOY / "k8s" / "vllm.yaml").read_text()))
    args = next(
        c["args"]
        for d in docs
        if d and d.get("kind") == "Deployment"
        for c in d["spec"]["template"]["spec"]["containers"]
    )
    flags = dict(a.removeprefix("--").split("=", 1) for a in args if "=" in a)
    assert flags["served-model-name"] == VLLM_SERVED_MODEL
    assert int(flags["max-lora-rank"]) == VLLM_MAX_LORA_RANK
    assert dict(REGISTRY["smollm2-135m-instruct"].cpu_lora)["rank"] <= VLLM_MAX_LORA_RANK
