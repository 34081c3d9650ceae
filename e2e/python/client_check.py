"""Drives a running Floe with the official Kubernetes Python client; prints one JSON line of observations."""
import json
import sys

from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

config.load_kube_config(config_file=sys.argv[1])
core = client.CoreV1Api()
out = {}

core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="py")))
for i in range(3):
    core.create_namespaced_config_map("py", client.V1ConfigMap(
        metadata=client.V1ObjectMeta(name=f"cm-{i}", labels={"idx": str(i), "group": "odd" if i % 2 else "even"}),
        data={"value": str(i)}))
out["even"] = sorted(c.metadata.name for c in core.list_namespaced_config_map("py", label_selector="group=even").items)

page = core.list_namespaced_config_map("py", limit=2)
out["first_page"] = [c.metadata.name for c in page.items]
out["has_continue"] = bool(page.metadata._continue)
rest = core.list_namespaced_config_map("py", limit=2, _continue=page.metadata._continue)
out["second_page"] = [c.metadata.name for c in rest.items]

cm = core.read_namespaced_config_map("cm-0", "py")
cm.data["value"] = "changed"
updated = core.replace_namespaced_config_map("cm-0", "py", cm)
out["rv_changed"] = updated.metadata.resource_version != cm.metadata.resource_version
try:
    core.replace_namespaced_config_map("cm-0", "py", cm)  # cm still carries the old resourceVersion
    out["conflict"] = None
except ApiException as e:
    out["conflict"] = e.status

core.patch_namespaced_config_map("cm-1", "py", {"metadata": {"labels": {"patched": "yes"}}})
out["patched"] = core.read_namespaced_config_map("cm-1", "py").metadata.labels.get("patched")

try:
    core.read_namespaced_config_map("missing", "py")
except ApiException as e:
    out["missing"] = [e.status, json.loads(e.body)["reason"]]

w = watch.Watch()
seen = []
for event in w.stream(core.list_namespaced_config_map, "py", resource_version=updated.metadata.resource_version, timeout_seconds=5):
    seen.append(f"{event['type']} {event['object'].metadata.name}")
    if event["type"] == "DELETED":
        w.stop()
    elif len(seen) == 1:
        core.delete_namespaced_config_map("cm-2", "py")
out["watched"] = seen

print(json.dumps(out))
