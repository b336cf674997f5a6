"""The double's objects: pods backed by Docker containers, network policies backed by Docker networks, config maps."""
import copy
import os
import random
import shutil
import sys
import string
import tempfile
import threading
import time
import uuid

import netpolicy
import pods as podlib
from docker_api import DockerError


def suffix(n=5):
    return "".join(random.choice(string.ascii_lowercase + string.digits) for _ in range(n))


def selects(selector, labels):
    """A NetworkPolicy podSelector (matchLabels only; an empty one selects every pod)."""
    if selector.get("matchExpressions"):
        return False
    return all(labels.get(k) == v for k, v in (selector.get("matchLabels") or {}).items())


class Store:
    def __init__(self, docker, instance, runtimes, start_delay=0.0):
        self.docker, self.instance, self.runtimes = docker, instance, runtimes
        self.start_delay = start_delay  # seconds a pod waits before its containers are made (a busy node)
        self.owner = {"orch.k8s-double": instance}
        self.lock = threading.RLock()
        self.pods, self.policies, self.networks, self.config_maps = {}, {}, {}, {}
        self._rv = 0
        self.stopping = False
        self.starters = []  # threads creating containers, joined before cleanup
        self.state_dir = tempfile.mkdtemp(prefix="k8sdouble-%s-" % instance)  # disk emptyDirs
        threading.Thread(target=self.enforce_deadlines, daemon=True).start()

    def rv(self):
        return str(self._rv)

    def bump(self, obj):
        self._rv += 1
        obj["metadata"]["resourceVersion"] = str(self._rv)

    @staticmethod
    def public(obj):
        out = copy.deepcopy(obj)
        out["metadata"] = podlib.public_meta(out["metadata"])
        return out

    # --- pods ---
    def add_pod(self, ns, pod):
        name = pod["metadata"]["name"]
        with self.lock:
            if (ns, name) in self.pods:
                return False
            now = time.time()
            pod["apiVersion"], pod["kind"] = "v1", "Pod"
            pod["metadata"].update({"namespace": ns, "uid": str(uuid.uuid4()), "creationTimestamp": podlib.rfc3339(now),
                                    "_created": now})
            pod["status"] = {"phase": "Pending"}
            self.bump(pod)
            self.pods[(ns, name)] = pod
            network, guards = self.network_for(ns, pod)
        sys.stderr.write("created pod %s/%s on network %s%s\n" % (ns, name, network, " guarded" if guards else ""))
        sys.stderr.flush()
        starter = threading.Thread(target=self.start_container, args=(ns, pod, network, guards), daemon=True)
        with self.lock:
            self.starters = [t for t in self.starters if t.is_alive()] + [starter]
        starter.start()
        return True

    def start_container(self, ns, pod, network, guards):
        name = pod["metadata"]["name"]
        prefix = "k8sdouble-%s-%s-%s" % (self.instance, ns, name)
        c = pod["spec"]["containers"][0]
        time.sleep(self.start_delay)
        try:
            dirs = self.make_dirs(pod, prefix)
            if not self.run_init_containers(pod, prefix, network, dirs):
                return
            body = podlib.docker_body(pod, c, network, self.runtimes, self.owner, dirs)
            cid = self.docker.call("POST", "/containers/create", body, {"name": prefix})["Id"]
        except (DockerError, ValueError) as e:
            self.waiting(pod, "containerStatuses", c, e)
            return
        with self.lock:
            gone = self.stopping or self.pods.get((ns, name)) is not pod
            pod["metadata"]["_cid"] = cid
        if gone:
            self.remove_container(cid)
            return
        pod["metadata"]["_guarding"] = bool(guards)  # Pending until its policies hold, as a CNI sets them up first
        try:
            self.docker.call("POST", "/containers/%s/start" % cid)
            if guards:
                netpolicy.apply(self.docker.call("GET", "/containers/%s/json" % cid)["State"]["Pid"], guards)
        except DockerError:
            pass  # the status shows the container as not started
        except (OSError, RuntimeError, ValueError) as e:
            self.remove_container(cid)
            self.waiting(pod, "containerStatuses", c, RuntimeError("network policy: %s" % e))
            return
        with self.lock:
            pod["metadata"]["_guarding"] = False
            pod["metadata"]["_started"] = time.time()
            pod["status"]["startTime"] = podlib.rfc3339(time.time())
            self.refresh(pod)

    @staticmethod
    def failure_reason(e):
        return "ErrImageNeverPull" if isinstance(e, DockerError) and e.status == 404 else "CreateContainerConfigError"

    def waiting(self, pod, key, c, e):
        with self.lock:
            pod["status"][key] = [{"name": c["name"], "image": c["image"], "ready": False, "restartCount": 0,
                                   "state": {"waiting": {"reason": self.failure_reason(e), "message": str(e)}}}]
            self.bump(pod)

    def make_dirs(self, pod, prefix):
        """Host directories for the pod's disk emptyDirs as the kubelet makes them (0777; group fsGroup,
        set-group-ID), shared by its init and main containers; removed with the pod."""
        made = {}
        fs_group = (pod["spec"].get("securityContext") or {}).get("fsGroup")
        for vname in podlib.disk_volumes(pod):
            made[vname] = os.path.join(self.state_dir, prefix, vname)
            os.makedirs(made[vname])
            if fs_group is not None:
                os.chown(made[vname], -1, fs_group)
            os.chmod(made[vname], 0o2777 if fs_group is not None else 0o777)
        return made

    def run_init_containers(self, pod, prefix, network, dirs):
        """Runs each init container to its end, in order; False (the pod failed or is gone) stops the pod there."""
        done = []
        for c in pod["spec"].get("initContainers") or []:
            try:
                body = podlib.docker_body(pod, c, network, self.runtimes, self.owner, dirs)
                cid = self.docker.call("POST", "/containers/create", body, {"name": "%s-init-%s" % (prefix, c["name"])})["Id"]
            except (DockerError, ValueError) as e:
                self.waiting(pod, "initContainerStatuses", c, e)
                return False
            try:
                self.docker.call("POST", "/containers/%s/start" % cid)
                code = self.docker.call("POST", "/containers/%s/wait" % cid, timeout=600)["StatusCode"]
            except DockerError as e:
                code = 128
                sys.stderr.write("init container %s of %s: %s\n" % (c["name"], prefix, e))
            finally:
                self.remove_container(cid)
            state = {"terminated": {"exitCode": code, "reason": "Completed" if code == 0 else "Error"}}
            done.append(podlib.init_status(c, state))
            with self.lock:
                pod["status"]["initContainerStatuses"] = list(done)
                if code != 0:  # restartPolicy Never: the pod fails
                    pod["status"]["phase"] = "Failed"
                    pod["metadata"]["_final"] = True
                self.bump(pod)
                if code != 0 or self.stopping or self.pods.get((pod["metadata"]["namespace"], pod["metadata"]["name"])) is not pod:
                    return False
        return True

    def refresh(self, pod):
        cid = pod["metadata"].get("_cid")
        if not cid or pod["metadata"].get("_final") or pod["metadata"].get("_guarding"):
            return
        try:
            inspect = self.docker.call("GET", "/containers/%s/json" % cid)
        except DockerError:
            inspect = None
        phase, st = podlib.container_status(pod, inspect)
        if pod["status"].get("phase") != phase or pod["status"].get("containerStatuses") != [st]:
            pod["status"]["phase"] = phase
            pod["status"]["containerStatuses"] = [st]
            self.bump(pod)
        if phase in ("Succeeded", "Failed"):
            pod["metadata"]["_final"] = True

    def get_pod(self, ns, name):
        with self.lock:
            pod = self.pods.get((ns, name))
        if pod is not None:
            with self.lock:
                self.refresh(pod)
        return pod

    def list_pods(self, ns, selector, fields):
        with self.lock:
            found = [p for (n, _), p in sorted(self.pods.items()) if n == ns and podlib.selector_matches(selector, p["metadata"].get("labels") or {})]
        if fields:
            want = dict(f.split("=", 1) for f in fields.split(",") if "=" in f)
            if "metadata.name" in want:
                found = [p for p in found if p["metadata"]["name"] == want["metadata.name"]]
        with self.lock:
            for p in found:
                self.refresh(p)
        return found

    def update_pod(self, ns, name, metadata, deadline):
        with self.lock:
            pod = self.pods[(ns, name)]
            pod["metadata"]["labels"] = metadata.get("labels") or {}
            pod["metadata"]["annotations"] = metadata.get("annotations") or {}
            if deadline is not None:
                pod["spec"]["activeDeadlineSeconds"] = deadline
            self.bump(pod)
            return pod

    def delete_pod(self, ns, name):
        with self.lock:
            pod = self.pods.pop((ns, name))
            pod["metadata"]["deletionTimestamp"] = podlib.rfc3339(time.time())
            self.bump(pod)
        if pod["metadata"].get("_cid"):
            self.remove_container(pod["metadata"]["_cid"])
        shutil.rmtree(os.path.join(self.state_dir, "k8sdouble-%s-%s-%s" % (self.instance, ns, name)), ignore_errors=True)
        return pod

    def remove_container(self, cid):
        try:
            self.docker.call("DELETE", "/containers/%s" % cid, query={"force": 1, "v": 1})
        except DockerError:
            pass

    def enforce_deadlines(self):
        """activeDeadlineSeconds: the kubelet kills the pod and marks it Failed, DeadlineExceeded."""
        while True:
            time.sleep(0.2)
            with self.lock:
                due = [p for p in self.pods.values()
                       if p["spec"].get("activeDeadlineSeconds") and p["metadata"].get("_started")
                       and not p["metadata"].get("_final")
                       and time.time() > p["metadata"]["_started"] + p["spec"]["activeDeadlineSeconds"]]
            for p in due:
                try:
                    self.docker.call("POST", "/containers/%s/kill" % p["metadata"]["_cid"])
                except DockerError:
                    pass
                with self.lock:
                    self.refresh(p)
                    p["status"].update({"phase": "Failed", "reason": "DeadlineExceeded",
                                        "message": "Pod was active on the node longer than the specified deadline"})
                    p["metadata"]["_final"] = True
                    self.bump(p)

    # --- network policies: enforced when a pod starts, with Docker's networks (deny-all, a group) or
    # with iptables in the pod's namespace (ipBlock egress rules: netpolicy) ---
    def network_for(self, ns, pod):
        """The pod's Docker network, and the policies to put into its network namespace."""
        labels = pod["metadata"].get("labels") or {}
        network, guards = "bridge", []
        for (pns, pname), pol in sorted(self.policies.items()):
            spec = pol.get("spec") or {}
            if pns != ns or not selects(spec.get("podSelector") or {}, labels):
                continue
            if netpolicy.enforced(pol):
                guards.append(copy.deepcopy(pol))
                continue
            if "Egress" in (spec.get("policyTypes") or ["Ingress"]) and not spec.get("egress"):
                return "none", []
            network = self.group_network(ns, pname)
        return network, guards

    def group_network(self, ns, policy):
        name = "k8sdouble-%s-%s-%s" % (self.instance, ns, policy)
        if name not in self.networks:
            self.networks[name] = self.docker.call("POST", "/networks/create", {
                "Name": name, "Internal": True, "Labels": self.owner})["Id"]
        return name

    def add_policy(self, ns, pol):
        name = pol["metadata"]["name"]
        with self.lock:
            if (ns, name) in self.policies:
                return False
            pol["apiVersion"], pol["kind"] = "networking.k8s.io/v1", "NetworkPolicy"
            pol["metadata"].update({"namespace": ns, "uid": str(uuid.uuid4()), "creationTimestamp": podlib.rfc3339(time.time())})
            self.bump(pol)
            self.policies[(ns, name)] = pol
            return True

    def get_policy(self, ns, name):
        with self.lock:
            return self.policies.get((ns, name))

    def list_policies(self, ns, selector):
        with self.lock:
            return [p for (n, _), p in sorted(self.policies.items())
                    if n == ns and podlib.selector_matches(selector, p["metadata"].get("labels") or {})]

    def delete_policy(self, ns, name):
        with self.lock:
            self.policies.pop((ns, name), None)
            net = self.networks.pop("k8sdouble-%s-%s-%s" % (self.instance, ns, name), None)
        if net:
            try:
                self.docker.call("DELETE", "/networks/%s" % net)
            except DockerError:
                pass  # pods still on it; cleanup() removes it at the end

    # --- config maps: kept in memory ---
    def add_config_map(self, ns, cm):
        name = cm["metadata"]["name"]
        with self.lock:
            if (ns, name) in self.config_maps:
                return False
            cm["apiVersion"], cm["kind"] = "v1", "ConfigMap"
            cm["metadata"].update({"namespace": ns, "uid": str(uuid.uuid4()), "creationTimestamp": podlib.rfc3339(time.time())})
            self.bump(cm)
            self.config_maps[(ns, name)] = cm
            return True

    def get_config_map(self, ns, name):
        with self.lock:
            return self.config_maps.get((ns, name))

    def list_config_maps(self, ns, selector):
        with self.lock:
            return [c for (n, _), c in sorted(self.config_maps.items())
                    if n == ns and podlib.selector_matches(selector, c["metadata"].get("labels") or {})]

    def delete_config_map(self, ns, name):
        with self.lock:
            return self.config_maps.pop((ns, name), None)

    def cleanup(self):
        with self.lock:
            self.stopping = True
            starters = list(self.starters)
        for t in starters:
            t.join(timeout=60)
        label = "orch.k8s-double=" + self.instance
        filters = '{"label": ["%s"]}' % label
        for c in self.docker.call("GET", "/containers/json", query={"all": 1, "filters": filters}):
            self.remove_container(c["Id"])
        shutil.rmtree(self.state_dir, ignore_errors=True)
        for n in self.docker.call("GET", "/networks", query={"filters": filters}):
            try:
                self.docker.call("DELETE", "/networks/%s" % n["Id"])
            except DockerError:
                pass
