"""What a kubelet and the API server's admission do with a Pod, mapped onto a Docker container."""
import re
import time

NAME_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
LABEL_VALUE_RE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
UNITS = {"Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30, "Ti": 1 << 40, "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}


def quantity_bytes(q):
    m = re.fullmatch(r"(\d+)(Ki|Mi|Gi|Ti|k|M|G|T)?", str(q))
    if not m:
        raise ValueError("quantity %r is not understood" % q)
    return int(m.group(1)) * UNITS.get(m.group(2) or "", 1)


def quantity_cpus(q):
    q = str(q)
    return int(q[:-1]) / 1000 if q.endswith("m") else float(q)


def valid_label_key(k):
    prefix, _, name = k.rpartition("/")
    if prefix and not re.fullmatch(r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?", prefix):
        return False
    return 0 < len(name) <= 63 and bool(LABEL_VALUE_RE.match(name))


def validate_meta(meta):
    """Returns the reason the API server refuses an object's name or labels, or None."""
    name = meta.get("name", "")
    if not name or len(name) > 253 or not NAME_RE.match(name):
        return 422, "metadata.name: Invalid value: %r: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'" % name
    for k, v in (meta.get("labels") or {}).items():
        if not valid_label_key(k) or not isinstance(v, str) or len(v) > 63 or not LABEL_VALUE_RE.match(v):
            return 422, "metadata.labels: Invalid value: %r: a valid label must be 63 characters or less" % v
    return None


def validate(pod):
    """Returns the reason the API server (validation, then Pod Security 'restricted') refuses the pod, or None."""
    meta, spec = pod.get("metadata", {}), pod.get("spec", {})
    name = meta.get("name", "")
    problem = validate_meta(meta)
    if problem:
        return problem
    containers = spec.get("containers") or []
    if not containers:
        return 422, "spec.containers: Required value"
    psc = spec.get("securityContext") or {}
    problems = []
    for flag in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(flag):
            problems.append("host namespaces (%s=true)" % flag)
    for v in spec.get("volumes") or []:
        if "hostPath" in v:
            problems.append('hostPath volumes (volume "%s")' % v.get("name"))
    for c in containers + (spec.get("initContainers") or []):
        sc = c.get("securityContext") or {}
        merged = lambda key: sc.get(key, psc.get(key))
        if sc.get("allowPrivilegeEscalation") is not False:
            problems.append('allowPrivilegeEscalation != false (container "%s")' % c["name"])
        if "ALL" not in ((sc.get("capabilities") or {}).get("drop") or []):
            problems.append('unrestricted capabilities (container "%s")' % c["name"])
        if merged("runAsNonRoot") is not True or merged("runAsUser") == 0:
            problems.append('runAsNonRoot != true (container "%s")' % c["name"])
        if (merged("seccompProfile") or {}).get("type") not in ("RuntimeDefault", "Localhost"):
            problems.append('seccompProfile (container "%s")' % c["name"])
        if sc.get("privileged"):
            problems.append('privileged (container "%s")' % c["name"])
    if problems:
        return 403, 'pods "%s" is forbidden: violates PodSecurity "restricted:latest": %s' % (name, ", ".join(problems))
    return None


def selector_matches(selector, labels):
    """A label selector as the API takes it: k=v, k==v, k!=v, k, !k, k in (a,b), k notin (a,b)."""
    if not selector:
        return True
    for term in re.findall(r"[^,(]+(?:\([^)]*\))?", selector):
        term = term.strip()
        m = re.fullmatch(r"(\S+)\s+(in|notin)\s+\(([^)]*)\)", term)
        if m:
            values = {v.strip() for v in m.group(3).split(",")}
            present = m.group(1) in labels and labels[m.group(1)] in values
            if present != (m.group(2) == "in"):
                return False
        elif "!=" in term:
            k, v = term.split("!=", 1)
            if labels.get(k.strip()) == v.strip():
                return False
        elif "=" in term:
            k, v = re.split(r"==?", term, 1)
            if labels.get(k.strip()) != v.strip():
                return False
        elif term.startswith("!"):
            if term[1:] in labels:
                return False
        elif term not in labels:
            return False
    return True


def disk_volumes(pod):
    """The pod's emptyDirs on the node's disk (no medium): like the kubelet, the double makes each a host
    directory bind-mounted into every container of the pod that names it."""
    return {v["name"]: v["emptyDir"] for v in pod["spec"].get("volumes") or []
            if "emptyDir" in v and v["emptyDir"].get("medium") != "Memory"}


def docker_body(pod, c, network, runtimes, owner_label, disk_dirs):
    """The container a kubelet with Docker as its runtime would make for container `c` of the pod;
    `disk_dirs` maps the pod's disk emptyDirs to the host directories made for them."""
    spec = pod["spec"]
    psc, sc = spec.get("securityContext") or {}, c.get("securityContext") or {}
    uid, gid = sc.get("runAsUser", psc.get("runAsUser")), sc.get("runAsGroup", psc.get("runAsGroup"))
    limits = (c.get("resources") or {}).get("limits") or {}
    memory = quantity_bytes(limits["memory"]) if "memory" in limits else 0
    fs_group = psc.get("fsGroup")
    volumes = {v["name"]: v for v in spec.get("volumes") or []}
    tmpfs, mounts = {}, []
    for m in c.get("volumeMounts") or []:
        v = volumes.get(m["name"], {})
        if "emptyDir" not in v:
            raise ValueError('volume "%s": the double mounts emptyDir volumes only' % m["name"])
        if m["name"] in disk_dirs:
            mounts.append({"Type": "bind", "Source": disk_dirs[m["name"]], "Target": m["mountPath"],
                           "ReadOnly": bool(m.get("readOnly"))})
            continue
        if m.get("readOnly"):
            raise ValueError('volume "%s": the double mounts memory emptyDirs writable only' % m["name"])
        size = v["emptyDir"].get("sizeLimit")
        opts = "rw,nosuid,nodev,exec" + (",size=%d" % quantity_bytes(size) if size else "")
        # The kubelet makes an emptyDir writable for the pod (0777, group fsGroup); Docker copies
        # the image directory's mode onto a tmpfs, so the double hands it to the pod's user instead.
        opts += ",uid=%d,gid=%d" % (uid if uid is not None else 0, fs_group if fs_group is not None else 0)
        tmpfs[m["mountPath"]] = opts
    security = []
    if sc.get("allowPrivilegeEscalation") is False:
        security.append("no-new-privileges")
    caps = sc.get("capabilities") or {}
    host = {
        "NetworkMode": network,
        "Memory": memory,
        "MemorySwap": memory,
        "NanoCpus": int(quantity_cpus(limits["cpu"]) * 1e9) if "cpu" in limits else 0,
        "ReadonlyRootfs": bool(sc.get("readOnlyRootFilesystem")),
        "Tmpfs": tmpfs,
        "Mounts": mounts,
        "CapDrop": caps.get("drop") or [],
        "CapAdd": caps.get("add") or [],
        "SecurityOpt": security,
        "Init": bool(spec.get("shareProcessNamespace")),
        "Privileged": bool(sc.get("privileged")),
    }
    if spec.get("runtimeClassName"):
        if spec["runtimeClassName"] not in runtimes:
            raise ValueError('RuntimeClass "%s" not found' % spec["runtimeClassName"])
        host["Runtime"] = runtimes[spec["runtimeClassName"]]
    body = {
        "Image": c["image"],
        "Env": ["%s=%s" % (e["name"], e.get("value", "")) for e in c.get("env") or []],
        "WorkingDir": c.get("workingDir", ""),
        "Labels": dict(owner_label, **{"io.kubernetes.pod.name": pod["metadata"]["name"]}),
        "HostConfig": host,
        "NetworkDisabled": network == "none",
        "OpenStdin": bool(c.get("stdin")),
        "StdinOnce": bool(c.get("stdinOnce")),
        "AttachStdin": bool(c.get("stdin")),
        "AttachStdout": True,
        "AttachStderr": True,
        "Tty": bool(c.get("tty")),
        "Hostname": spec.get("hostname") or pod["metadata"]["name"][:63],
    }
    if uid is not None:
        body["User"] = "%d:%d" % (uid, gid if gid is not None else uid)
    if c.get("command"):
        body["Entrypoint"] = c["command"]
    if c.get("args") is not None:
        body["Cmd"] = c["args"]
    return body


def init_status(c, state):
    return {"name": c["name"], "image": c["image"], "restartCount": 0, "ready": state.get("terminated", {}).get("exitCode") == 0,
            "state": state}


def rfc3339(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def container_status(pod, inspect):
    """status.phase and containerStatuses from the container's state, as a kubelet reports them."""
    name = pod["spec"]["containers"][0]["name"]
    st = {"name": name, "image": pod["spec"]["containers"][0]["image"], "restartCount": 0, "ready": False}
    if inspect is None:
        st["state"] = {"waiting": {"reason": "ContainerCreating"}}
        return "Pending", st
    state = inspect["State"]
    st["containerID"] = "docker://" + inspect["Id"]
    if state.get("Running"):
        st["state"] = {"running": {"startedAt": state["StartedAt"][:19] + "Z"}}
        st["ready"] = True
        return "Running", st
    if state.get("Status") == "created":
        st["state"] = {"waiting": {"reason": "ContainerCreating"}}
        return "Pending", st
    code = state.get("ExitCode", 0)
    reason = "OOMKilled" if state.get("OOMKilled") else ("Completed" if code == 0 else "Error")
    st["state"] = {"terminated": {"exitCode": code, "reason": reason, "startedAt": state["StartedAt"][:19] + "Z",
                                  "finishedAt": state["FinishedAt"][:19] + "Z"}}
    return ("Succeeded" if code == 0 else "Failed"), st


def table(pods, now):
    """The meta.k8s.io Table kubectl asks `get pods` for."""
    rows = []
    for p in pods:
        st = (p.get("status", {}).get("containerStatuses") or [{}])[0]
        state = st.get("state", {})
        shown = p.get("status", {}).get("reason") or next(
            (v.get("reason") for v in state.values() if v.get("reason")), p.get("status", {}).get("phase", "Pending"))
        if "running" in state:
            shown = "Running"
        age = int(now - p["metadata"]["_created"])
        rows.append({"cells": [p["metadata"]["name"], "%d/1" % (1 if st.get("ready") else 0), shown, 0, "%ds" % age],
                     "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                                "metadata": public_meta(p["metadata"])}})
    columns = [{"name": n, "type": t, "format": f, "description": n, "priority": 0} for n, t, f in (
        ("Name", "string", "name"), ("Ready", "string", ""), ("Status", "string", ""), ("Restarts", "integer", ""),
        ("Age", "string", ""))]
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {"resourceVersion": "1"},
            "columnDefinitions": columns, "rows": rows}


def public_meta(meta):
    return {k: v for k, v in meta.items() if not k.startswith("_")}
