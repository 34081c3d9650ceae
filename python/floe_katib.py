"""Report a Katib trial's metrics to Floe (the Push metrics collector), like the Katib SDK's report_metrics.

    import floe_katib
    floe_katib.report_metrics({"accuracy": 0.93, "loss": 0.21})

Floe sets FLOE_KATIB_REPORT_URL (and KATIB_TRIAL_NAME) in the trial's primary container and puts this file on its
PYTHONPATH. Standard library only.
"""
import datetime
import json
import os
import urllib.request


def report_metrics(metrics, timeout=10):
    """POST {name: value} to the trial's observation log; every value must be a number."""
    url = os.environ.get("FLOE_KATIB_REPORT_URL")
    if not url:
        raise RuntimeError("FLOE_KATIB_REPORT_URL is not set: report_metrics runs inside a Katib trial with metricsCollectorSpec.collector.kind Push")
    for name, value in metrics.items():
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise ValueError(f"metric {name}: value must be a number, got {value!r}")
    body = json.dumps({
        "metrics": {name: float(value) for name, value in metrics.items()},
        "timestamp": datetime.datetime.now(datetime.timezone.utc).isoformat(),
    }).encode()
    headers = {"content-type": "application/json"}
    token = os.environ.get("FLOE_TOKEN")
    if token:
        headers["authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read() or b"{}")
