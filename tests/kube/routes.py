"""The Kubernetes API routes of the test double."""
import json
import re
import threading
import time
import urllib.parse

import pods as podlib
import store as storelib
import streams
import ws
from docker_api import DockerError

VERSION = {"major": "1", "minor": "32", "gitVersion": "v1.32.0-orch-double", "platform": "linux/amd64"}
POD_VERBS = ["create", "delete", "get", "list", "patch", "watch"]
RESOURCES = {
    "/api/v1": [("pods", "Pod", POD_VERBS), ("pods/attach", "PodAttachOptions", ["create", "get"]),
                ("pods/exec", "PodExecOptions", ["create", "get"]), ("pods/log", "Pod", ["get"]),
                ("namespaces", "Namespace", ["get", "list"]), ("configmaps", "ConfigMap", ["create", "delete", "get", "list"])],
    "/apis/networking.k8s.io/v1": [("networkpolicies", "NetworkPolicy", ["create", "delete", "get", "list"])],
}
# Known to discovery only, so `kubectl apply --dry-run=client` can map deploy/kubernetes/ (a GET of
# one of these answers 404, which client dry runs read as "would be created").
MAPPED_ONLY = {
    "/api/v1": [("serviceaccounts", "ServiceAccount"), ("services", "Service"), ("secrets", "Secret")],
    "/apis/apps/v1": [("deployments", "Deployment")],
    "/apis/rbac.authorization.k8s.io/v1": [("roles", "Role"), ("rolebindings", "RoleBinding")],
    "/apis/node.k8s.io/v1": [("runtimeclasses", "RuntimeClass")],
}
for _path, _kinds in MAPPED_ONLY.items():
    RESOURCES.setdefault(_path, []).extend((n, k, ["get"]) for n, k in _kinds)
CLUSTER_SCOPED = {"namespaces", "runtimeclasses"}
POD_PATH = re.compile(r"^/api/v1/namespaces/([^/]+)/pods(?:/([^/]+))?(?:/(exec|attach|log))?$")
POLICY_PATH = re.compile(r"^/apis/networking.k8s.io/v1/namespaces/([^/]+)/networkpolicies(?:/([^/]+))?$")
CONFIG_MAP_PATH = re.compile(r"^/api/v1/namespaces/([^/]+)/configmaps(?:/([^/]+))?$")


def status(code, reason, message, name=None, kind=None):
    s = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message,
         "reason": reason, "code": code}
    if name:
        s["details"] = {"name": name, "kind": kind}
    return s


REASONS = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 409: "AlreadyExists",
           415: "UnsupportedMediaType", 422: "Invalid", 500: "InternalError"}


class ApiError(Exception):
    def __init__(self, code, message, name=None, kind=None):
        super().__init__(message)
        self.body = status(code, REASONS.get(code, "BadRequest"), message, name, kind)
        if code == 422:  # kubectl prints an Invalid status from its causes
            field, _, detail = message.partition(": ")
            self.body.setdefault("details", {})["causes"] = [{"reason": "FieldValueInvalid", "message": detail, "field": field}]
        self.code = code


def merge_patch(target, patch):
    """RFC 7386."""
    if not isinstance(patch, dict):
        return patch
    out = dict(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out


class Api:
    def __init__(self, docker, instance, token, runtimes, start_delay=0.0):
        self.docker, self.token = docker, token
        self.client_cert_ok = False
        self.store = storelib.Store(docker, instance, runtimes, start_delay)

    def cleanup(self):
        self.store.cleanup()

    # --- plumbing -------------------------------------------------------------------------------
    def send_json(self, h, code, obj, content_type="application/json"):
        data = json.dumps(obj).encode()
        h.send_response(code)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    def authorized(self, h):
        if not self.token:
            return True
        if h.headers.get("Authorization") == "Bearer " + self.token:
            return True
        return self.client_cert_ok and bool(getattr(h.connection, "getpeercert", lambda: None)())

    def handle(self, h, method):
        url = urllib.parse.urlsplit(h.path)
        query = urllib.parse.parse_qs(url.query, keep_blank_values=True)  # an empty command argument is an argument
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        try:
            if not self.authorized(h):
                raise ApiError(401, "Unauthorized")
            self.route(h, method, url.path, query, body)
        except ApiError as e:
            self.send_json(h, e.code, e.body)
        except DockerError as e:
            self.send_json(h, 500, status(500, "InternalError", "the container runtime failed: %s" % e))
        except (BrokenPipeError, ConnectionResetError):
            h.close_connection = True

    def route(self, h, method, path, query, body):
        if method == "GET" and path == "/version":
            return self.send_json(h, 200, VERSION)
        if method == "GET" and path == "/api":
            return self.send_json(h, 200, {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [
                {"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]})
        if method == "GET" and path == "/apis":
            groups = [p[len("/apis/"):] for p in RESOURCES if p.startswith("/apis/")]
            return self.send_json(h, 200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": [
                {"name": g.split("/")[0], "versions": [{"groupVersion": g, "version": "v1"}],
                 "preferredVersion": {"groupVersion": g, "version": "v1"}} for g in groups]})
        if method == "GET" and path in RESOURCES:
            return self.send_json(h, 200, {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": path.split("/", 2)[2] if path.startswith("/apis") else "v1",
                                           "resources": [{"name": n, "singularName": "", "namespaced": n not in CLUSTER_SCOPED, "kind": k, "verbs": v}
                                                         for n, k, v in RESOURCES[path]]})
        m = re.fullmatch(r"/api/v1/namespaces/([^/]+)", path)
        if m and method == "GET":
            return self.send_json(h, 200, {"kind": "Namespace", "apiVersion": "v1", "metadata": {"name": m.group(1)},
                                           "status": {"phase": "Active"}})
        m = POD_PATH.match(path)
        if m:
            return self.pods(h, method, m.group(1), m.group(2), m.group(3), query, body)
        m = POLICY_PATH.match(path)
        if m:
            return self.policies(h, method, m.group(1), m.group(2), query, body)
        m = CONFIG_MAP_PATH.match(path)
        if m:
            return self.config_maps(h, method, m.group(1), m.group(2), query, body)
        raise ApiError(404, "the server could not find the requested resource")

    def parse(self, body):
        try:
            obj = json.loads(body or b"{}")
        except ValueError:
            raise ApiError(400, "the body is not JSON")
        if not isinstance(obj, dict):
            raise ApiError(400, "the body is not a JSON object")
        return obj

    # --- pods -----------------------------------------------------------------------------------
    def pods(self, h, method, ns, name, sub, query, body):
        if sub in ("exec", "attach"):
            return self.stream(h, ns, name, sub, query)
        if sub == "log":
            return self.log(h, ns, name, query)
        if name is None and method == "GET":
            if query.get("watch", ["false"])[0] in ("true", "1"):
                return self.watch(h, ns, query)
            items = self.store.list_pods(ns, query.get("labelSelector", [""])[0], query.get("fieldSelector", [""])[0])
            if "as=Table" in (h.headers.get("Accept") or ""):
                return self.send_json(h, 200, podlib.table(items, time.time()), "application/json;as=Table;v=v1;g=meta.k8s.io")
            return self.send_json(h, 200, {"kind": "PodList", "apiVersion": "v1", "metadata": {"resourceVersion": self.store.rv()},
                                           "items": [self.store.public(p) for p in items]})
        if name is None and method == "POST":
            pod = self.parse(body)
            pod.setdefault("metadata", {})
            if not pod["metadata"].get("name") and pod["metadata"].get("generateName"):
                pod["metadata"]["name"] = pod["metadata"]["generateName"] + storelib.suffix()
            problem = podlib.validate(pod)
            if problem:
                raise ApiError(problem[0], problem[1], pod["metadata"].get("name"), "pods")
            if query.get("dryRun"):
                return self.send_json(h, 201, pod)
            if not self.store.add_pod(ns, pod):
                raise ApiError(409, 'pods "%s" already exists' % pod["metadata"]["name"], pod["metadata"]["name"], "pods")
            return self.send_json(h, 201, self.store.public(self.store.get_pod(ns, pod["metadata"]["name"])))
        pod = self.store.get_pod(ns, name)
        if pod is None:
            raise ApiError(404, 'pods "%s" not found' % name, name, "pods")
        if method == "GET":
            if "as=Table" in (h.headers.get("Accept") or ""):
                return self.send_json(h, 200, podlib.table([pod], time.time()), "application/json;as=Table;v=v1;g=meta.k8s.io")
            return self.send_json(h, 200, self.store.public(pod))
        if method == "DELETE":
            return self.send_json(h, 200, self.store.public(self.store.delete_pod(ns, name)))
        if method == "PATCH":
            ctype = (h.headers.get("Content-Type") or "").split(";")[0]
            if ctype not in ("application/merge-patch+json", "application/strategic-merge-patch+json"):
                raise ApiError(415, "the double takes merge patches only, not %s" % ctype)
            return self.send_json(h, 200, self.store.public(self.patch(ns, pod, self.parse(body))))
        raise ApiError(404, "the server could not find the requested resource")

    def patch(self, ns, pod, patch):
        public = self.store.public(pod)
        patched = merge_patch(public, patch)
        old_spec, new_spec = dict(public["spec"]), dict(patched.get("spec") or {})
        deadline_old, deadline_new = old_spec.pop("activeDeadlineSeconds", None), new_spec.pop("activeDeadlineSeconds", None)
        if new_spec != old_spec or (deadline_old is not None and (deadline_new is None or deadline_new > deadline_old)):
            raise ApiError(422, 'Pod "%s" is invalid: spec: Forbidden: pod updates may not change fields other than '
                                '`spec.activeDeadlineSeconds` (which may only be decreased)' % pod["metadata"]["name"])
        problem = podlib.validate(patched)
        if problem:
            raise ApiError(422, problem[1])
        return self.store.update_pod(ns, pod["metadata"]["name"], patched["metadata"], deadline_new)

    def watch(self, h, ns, query):
        selector = query.get("labelSelector", [""])[0]
        fields = query.get("fieldSelector", [""])[0]
        until = time.time() + float(query.get("timeoutSeconds", ["1800"])[0])
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        seen = {}
        while time.time() < until:
            current = {p["metadata"]["name"]: self.store.public(p) for p in self.store.list_pods(ns, selector, fields)}
            events = [("ADDED" if n not in seen else "MODIFIED", p) for n, p in current.items()
                      if seen.get(n, {}).get("metadata", {}).get("resourceVersion") != p["metadata"]["resourceVersion"]]
            events += [("DELETED", p) for n, p in seen.items() if n not in current]
            for kind, obj in events:
                line = json.dumps({"type": kind, "object": obj}).encode() + b"\n"
                h.wfile.write(b"%x\r\n%s\r\n" % (len(line), line))
            h.wfile.flush()
            seen = current
            time.sleep(0.1)
        h.wfile.write(b"0\r\n\r\n")

    def running_container(self, ns, name):
        pod = self.store.get_pod(ns, name)
        if pod is None:
            raise ApiError(404, 'pods "%s" not found' % name, name, "pods")
        if pod["status"].get("phase") != "Running" or not pod["metadata"].get("_cid"):
            raise ApiError(400, "container sandbox is not running (pod phase %s)" % pod["status"].get("phase"))
        return pod

    def stream(self, h, ns, name, sub, query):
        if (h.headers.get("Upgrade") or "").lower() != "websocket":
            raise ApiError(400, "Upgrade request required (the double speaks WebSocket, not SPDY)")
        pod = self.running_container(ns, name)
        if sub == "attach" and query.get("stdin", ["false"])[0] == "true" and not pod["spec"]["containers"][0].get("stdin"):
            raise ApiError(400, "stdin is not enabled for this container")
        protocol = ws.choose_protocol(h.headers.get("Sec-WebSocket-Protocol") or "")
        if protocol is None:
            raise ApiError(400, "no supported subprotocol (the double speaks %s and %s)" % (ws.V5, ws.V4))
        h.send_response(101)
        h.send_header("Upgrade", "websocket")
        h.send_header("Connection", "Upgrade")
        h.send_header("Sec-WebSocket-Accept", ws.accept_key(h.headers.get("Sec-WebSocket-Key", "")))
        h.send_header("Sec-WebSocket-Protocol", protocol)
        h.end_headers()
        h.wfile.flush()
        h.close_connection = True
        wsock = ws.Socket(h.connection, h.rfile)
        try:
            run = streams.run_exec if sub == "exec" else streams.run_attach
            run(self.docker, pod["metadata"]["_cid"], query, wsock)
        except DockerError as e:
            wsock.send_channel(ws.STATUS, json.dumps(status(500, "InternalError", str(e))).encode())
        finally:
            wsock.close()

    def log(self, h, ns, name, query):
        pod = self.store.get_pod(ns, name)
        if pod is None:
            raise ApiError(404, 'pods "%s" not found' % name, name, "pods")
        if not pod["metadata"].get("_cid"):
            raise ApiError(400, 'container "sandbox" in pod "%s" is waiting to start: ContainerCreating' % name)
        h.send_response(200)
        h.send_header("Content-Type", "text/plain")
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        for chunk in streams.log_bytes(self.docker, pod["metadata"]["_cid"], query):
            h.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            h.wfile.flush()
        h.wfile.write(b"0\r\n\r\n")

    # --- network policies -----------------------------------------------------------------------
    def policies(self, h, method, ns, name, query, body):
        if name is None and method == "GET":
            items = self.store.list_policies(ns, query.get("labelSelector", [""])[0])
            return self.send_json(h, 200, {"kind": "NetworkPolicyList", "apiVersion": "networking.k8s.io/v1",
                                           "metadata": {"resourceVersion": self.store.rv()}, "items": items})
        if name is None and method == "POST":
            pol = self.parse(body)
            pname = (pol.get("metadata") or {}).get("name", "")
            if not podlib.NAME_RE.match(pname):
                raise ApiError(422, "metadata.name: Invalid value: %r" % pname)
            if not self.store.add_policy(ns, pol):
                raise ApiError(409, 'networkpolicies.networking.k8s.io "%s" already exists' % pname, pname, "networkpolicies")
            return self.send_json(h, 201, self.store.get_policy(ns, pname))
        pol = self.store.get_policy(ns, name)
        if pol is None:
            raise ApiError(404, 'networkpolicies.networking.k8s.io "%s" not found' % name, name, "networkpolicies")
        if method == "GET":
            return self.send_json(h, 200, pol)
        if method == "DELETE":
            self.store.delete_policy(ns, name)
            return self.send_json(h, 200, {"kind": "Status", "apiVersion": "v1", "status": "Success", "metadata": {}})
        raise ApiError(404, "the server could not find the requested resource")

    # --- config maps ------------------------------------------------------------------------------
    def config_maps(self, h, method, ns, name, query, body):
        if name is None and method == "GET":
            items = self.store.list_config_maps(ns, query.get("labelSelector", [""])[0])
            return self.send_json(h, 200, {"kind": "ConfigMapList", "apiVersion": "v1",
                                           "metadata": {"resourceVersion": self.store.rv()}, "items": items})
        if name is None and method == "POST":
            cm = self.parse(body)
            cm.setdefault("metadata", {})
            problem = podlib.validate_meta(cm["metadata"])
            if problem:
                raise ApiError(problem[0], problem[1], cm["metadata"].get("name"), "configmaps")
            if not self.store.add_config_map(ns, cm):
                raise ApiError(409, 'configmaps "%s" already exists' % cm["metadata"]["name"], cm["metadata"]["name"], "configmaps")
            return self.send_json(h, 201, self.store.get_config_map(ns, cm["metadata"]["name"]))
        cm = self.store.get_config_map(ns, name) if method == "GET" else self.store.delete_config_map(ns, name) if method == "DELETE" else None
        if method not in ("GET", "DELETE"):
            raise ApiError(404, "the server could not find the requested resource")
        if cm is None:
            raise ApiError(404, 'configmaps "%s" not found' % name, name, "configmaps")
        return self.send_json(h, 200, cm)
