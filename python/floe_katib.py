"""Report a Katib trial's metrics to Floe (the Push metrics collector), like the Katib SDK's report_metrics.

    import floe_katib
    floe_katib.report_metrics({"accuracy": 0.93, "loss": 0.21})

Floe sets FLOE_KATIB_REPORT_URL (and KATIB_TRIAL_NAME) in the trial's primary container and puts this file on its
PYTHONPATH. When Floe requires a token it also sets FLOE_REPORT_TOKEN (sent as a bearer token) and, serving HTTPS with
its own CA, FLOE_REPORT_CA (the CA certificate the server is verified with). On a Kubernetes cluster, without
FLOE_REPORT_TOKEN, the Pod's ServiceAccount token is sent: Floe's endpoint checks it with the API server. Standard
library only.
"""
import datetime
import json
import os
import ssl
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
    token = os.environ.get("FLOE_REPORT_TOKEN") or os.environ.get("FLOE_TOKEN") or _service_account_token()
    if token:
        headers["authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=timeout, context=_tls_context(url)) as response:
        return json.loads(response.read() or b"{}")


_SERVICE_ACCOUNT_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token"


def _service_account_token():
    """The Pod's projected ServiceAccount token on a cluster, re-read each call because the kubelet rotates it."""
    try:
        with open(_SERVICE_ACCOUNT_TOKEN, encoding="utf-8") as f:
            return f.read().strip() or None
    except OSError:
        return None


def _tls_context(url):
    """HTTPS verified against FLOE_REPORT_CA when set (Floe's own CA), else the system's trust store; never unverified."""
    if not url.startswith("https:"):
        return None
    ca = os.environ.get("FLOE_REPORT_CA")
    if ca and not os.path.isfile(ca):
        raise RuntimeError(f"FLOE_REPORT_CA names {ca}, which is not a file: it must be the PEM CA certificate Floe serves with")
    return ssl.create_default_context(cafile=ca or None)
