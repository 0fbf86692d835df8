"""dagster-k8s step tags that place GPU steps on the right nodes (read by the k8s_job_executor)."""


def gpu_step_tags(gpu_product: str, pool: str, memory: str, cpu: str) -> dict:
    return {
        "dagster-k8s/config": {
            "container_config": {
                "resources": {
                    "limits": {"nvidia.com/gpu": "1", "memory": memory, "cpu": cpu},
                    "requests": {"nvidia.com/gpu": "1", "memory": memory, "cpu": cpu},
                },
            },
            "pod_spec_config": {
                "node_selector": {"nvidia.com/gpu.product": gpu_product, "techlead/pool": pool},
                "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
            },
        },
        "techlead/gpu": pool,
    }


# Training Llama 3 8B with LoRA: one H100 80 GB.
H100_TRAINING = gpu_step_tags("NVIDIA-H100-80GB-HBM3", "train", memory="96Gi", cpu="12")
# Reviewing (in-process generation when not using the shared vLLM server): one L40S 48 GB.
L40S_SERVING = gpu_step_tags("NVIDIA-L40S", "serve", memory="48Gi", cpu="8")
