"""Floe's in-Pod launcher for KFP tasks on a cluster (`floe controllers`).

On a cluster a task Pod shares no folder with Floe. KFP copies a Go launcher into each Pod for this; Floe's engine
instead runs this file (the standard library only) with the image's own Python, as `python3 -c <this file> <spec>
<component argv...>`:

1. downloads the task's input artifacts from the object store (S3 or MinIO, signed with AWS Signature Version 4) to
   the local paths the kfp SDK reads them from (`s3://b/k` -> `/s3/b/k`, `minio://b/k` -> `/minio/b/k`);
2. runs the component, with its output and signals passed through;
3. when it exits 0, uploads its output artifacts (a file as one object, a folder as the objects under its key), and
   writes a report object: the executor output file (executor_output.json) and each output parameter file, which the
   engine reads in place of the files it reads on its own node.

A failure of the launcher itself exits non-zero with its reason on stderr and in the container's termination message.
The spec (JSON):
  {"stores": [{"endpoint", "region", "pathStyle", "accessKeyEnv", "secretKeyEnv", "sessionTokenEnv"}],
   "downloads": [{"uri", "path", "store"}], "uploads": [{"uri", "path", "store"}],
   "outputFile", "parameters": {name: path}, "report": {"uri", "store"}}
"""

import datetime
import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ElementTree

S3_NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"
UNRESERVED = "-_.~"


class LauncherError(Exception):
    pass


def _hmac(key, text):
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()


def sign_v4(method, url, headers, payload_hash, access_key, secret_key, region, now, session_token=None):
    """Adds the AWS Signature Version 4 headers (service s3) for a request to `url`; returns the headers."""
    parts = urllib.parse.urlsplit(url)
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    scope = "%s/%s/s3/aws4_request" % (amz_date[:8], region)
    signed = dict((k.lower(), str(v).strip()) for k, v in headers.items())
    signed["host"] = parts.netloc
    signed["x-amz-date"] = amz_date
    signed["x-amz-content-sha256"] = payload_hash
    if session_token:
        signed["x-amz-security-token"] = session_token
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    canonical_query = "&".join(
        "%s=%s" % (urllib.parse.quote(k, safe=UNRESERVED), urllib.parse.quote(v, safe=UNRESERVED)) for k, v in sorted(query)
    )
    names = sorted(signed)
    canonical = "\n".join([
        method,
        parts.path or "/",
        canonical_query,
        "".join("%s:%s\n" % (n, signed[n]) for n in names),
        ";".join(names),
        payload_hash,
    ])
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode("utf-8")).hexdigest()])
    key = _hmac(("AWS4" + secret_key).encode("utf-8"), amz_date[:8])
    for part in (region, "s3", "aws4_request"):
        key = _hmac(key, part)
    signature = hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    signed["authorization"] = "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s" % (
        access_key, scope, ";".join(names), signature)
    del signed["host"]
    return signed


class Store:
    """One S3-compatible endpoint with its credentials (read from the environment variables the spec names)."""

    def __init__(self, spec):
        self.region = spec.get("region") or "us-east-1"
        endpoint = spec.get("endpoint") or ""
        self.path_style = spec.get("pathStyle", True)
        if not endpoint:
            endpoint = "https://s3.%s.amazonaws.com" % self.region
        self.endpoint = endpoint.rstrip("/")
        self.access_key = os.environ.get(spec.get("accessKeyEnv") or "AWS_ACCESS_KEY_ID", "")
        self.secret_key = os.environ.get(spec.get("secretKeyEnv") or "AWS_SECRET_ACCESS_KEY", "")
        self.session_token = os.environ.get(spec.get("sessionTokenEnv") or "AWS_SESSION_TOKEN") or None
        if not self.access_key or not self.secret_key:
            raise LauncherError("no credentials for %s: the environment variables %s and %s are empty" % (
                self.endpoint, spec.get("accessKeyEnv") or "AWS_ACCESS_KEY_ID", spec.get("secretKeyEnv") or "AWS_SECRET_ACCESS_KEY"))

    def url(self, bucket, key="", query=None):
        path = "/" + urllib.parse.quote(key, safe="/" + UNRESERVED) if key else "/"
        qs = "?" + urllib.parse.urlencode(query, quote_via=urllib.parse.quote) if query else ""
        if self.path_style:
            return "%s/%s%s%s" % (self.endpoint, bucket, path if key else "", qs)
        scheme, host = self.endpoint.split("://", 1)
        return "%s://%s.%s%s%s" % (scheme, bucket, host, path, qs)

    def request(self, method, bucket, key="", query=None, body=b""):
        url = self.url(bucket, key, query)
        now = datetime.datetime.now(datetime.timezone.utc)
        headers = sign_v4(method, url, {}, hashlib.sha256(body).hexdigest(), self.access_key, self.secret_key,
                          self.region, now, self.session_token)
        if method == "PUT":
            # urllib would send a form's content type, which a server may parse the body as.
            headers["content-type"] = "application/octet-stream"
        req = urllib.request.Request(url, data=body if method == "PUT" else None, method=method, headers=headers)
        last = None
        for attempt in range(4):
            try:
                with urllib.request.urlopen(req, timeout=120) as res:
                    return res.read()
            except urllib.error.HTTPError as err:
                detail = err.read().decode("utf-8", "replace")[:500]
                if err.code < 500:
                    raise LauncherError("%s %s: HTTP %d: %s" % (method, url.split("?")[0], err.code, detail))
                last = "HTTP %d: %s" % (err.code, detail)
            except (urllib.error.URLError, OSError) as err:
                last = str(getattr(err, "reason", err))
            if attempt < 3:
                time.sleep(0.5 * 2 ** attempt)
        raise LauncherError("%s %s: %s" % (method, url.split("?")[0], last))

    def keys_under(self, bucket, key):
        """The key itself when it is an object, else every key under `key/` (ListObjectsV2, page by page)."""
        found, token = [], None
        while True:
            query = {"list-type": "2", "prefix": key}
            if token:
                query["continuation-token"] = token
            root = ElementTree.fromstring(self.request("GET", bucket, query=query))
            for item in root.iter(S3_NS + "Contents"):
                k = item.findtext(S3_NS + "Key")
                if k == key or k.startswith(key + "/"):
                    found.append(k)
            if root.findtext(S3_NS + "IsTruncated") != "true":
                return found
            token = root.findtext(S3_NS + "NextContinuationToken")


def split_uri(uri):
    scheme, rest = uri.split("://", 1)
    bucket, _, key = rest.partition("/")
    if scheme not in ("s3", "minio") or not bucket:
        raise LauncherError("not an s3:// or minio:// URI: %s" % uri)
    return bucket, key.strip("/")


def download(store, uri, path):
    bucket, key = split_uri(uri)
    if os.path.normpath(path) != path or ".." in key.split("/"):
        raise LauncherError("the input artifact %s has `..` in its key; it is not downloaded" % uri)
    keys = store.keys_under(bucket, key)
    if not keys:
        raise LauncherError("the input artifact %s is not in the bucket" % uri)
    for k in keys:
        target = path if k == key else os.path.join(path, k[len(key) + 1:])
        # A key with `..` segments must not lead out of the artifact's folder.
        base, resolved = os.path.abspath(path), os.path.abspath(target)
        if resolved != base and not resolved.startswith(base + os.sep):
            raise LauncherError("the object %s would be written outside %s" % (k, path))
        os.makedirs(os.path.dirname(target) or ".", exist_ok=True)
        with open(target, "wb") as f:
            f.write(store.request("GET", bucket, k))


def upload(store, uri, path):
    """Uploads a file, or each file under a folder; a path the component did not write uploads nothing (as KFP)."""
    bucket, key = split_uri(uri)
    if os.path.isdir(path):
        for folder, _, files in os.walk(path):
            for name in sorted(files):
                local = os.path.join(folder, name)
                rel = os.path.relpath(local, path).replace(os.sep, "/")
                with open(local, "rb") as f:
                    store.request("PUT", bucket, key + "/" + rel, body=f.read())
    elif os.path.isfile(path):
        with open(path, "rb") as f:
            store.request("PUT", bucket, key, body=f.read())


def read_text(path):
    try:
        with open(path, "r", encoding="utf-8") as f:
            return f.read()
    except FileNotFoundError:
        return None


def fail(message):
    text = "floe launcher: %s" % message
    sys.stderr.write(text + "\n")
    try:
        with open("/dev/termination-log", "w") as f:
            f.write(text)
    except OSError:
        pass
    sys.exit(1)


def main(argv):
    if len(argv) < 2:
        fail("usage: <spec JSON> <component command...>")
    spec = json.loads(argv[0])
    command = argv[1:]
    try:
        stores = [Store(s) for s in spec.get("stores", [])]
        for item in spec.get("downloads", []):
            download(stores[item["store"]], item["uri"], item["path"])
        for path in list(spec.get("parameters", {}).values()) + [spec["outputFile"]] + [u["path"] for u in spec.get("uploads", [])]:
            os.makedirs(os.path.dirname(path), exist_ok=True)
    except LauncherError as err:
        fail(str(err))
    try:
        child = subprocess.Popen(command)
    except OSError as err:
        fail("cannot run the component's command %s: %s" % (command[0], err))
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda number, _frame: child.send_signal(number))
    code = child.wait()
    if code != 0:
        sys.stdout.flush()
        # As a shell reports it: 128 + the signal for a component killed by one.
        sys.exit(128 - code if code < 0 else code)
    try:
        for item in spec.get("uploads", []):
            upload(stores[item["store"]], item["uri"], item["path"])
        report = {
            "executorOutput": read_text(spec["outputFile"]),
            "parameters": dict((name, read_text(path)) for name, path in spec.get("parameters", {}).items()),
        }
        bucket, key = split_uri(spec["report"]["uri"])
        stores[spec["report"]["store"]].request("PUT", bucket, key, body=json.dumps(report).encode("utf-8"))
    except LauncherError as err:
        fail("the component succeeded, but its outputs could not be stored: %s" % err)


if __name__ == "__main__":
    main(sys.argv[1:])
