"""Checks one mode's `helm template` output of charts/irsa-verify, and splits it
for the validators (tests/helm.bats).

    check_rendered.py MODE RENDERED OUTDIR

Writes to OUTDIR:
  builtin.yaml   the Kubernetes kinds, for kubernetes-validate --strict
  crds.json      the Prometheus Operator kinds (ServiceMonitor, PrometheusRule):
                 kubernetes-validate knows no CRD, so validate-crds.cjs checks
                 them against the operator's schemas, and this script their fields
  rules.yaml     the PrometheusRule's groups, as a rule file for promtool
  etc/           the ConfigMap as the pod mounts it (its items' paths)
  args, env      the agent's arguments and environment, one per line, with
                 /etc/irsa-verify replaced by OUTDIR/etc: the real binary can run them

Asserts what each mode promises: the hook annotations, the CronJob's bounds,
the watcher's flags, probes and Service, and the Pod Security settings of
manifests/job/job.yaml, field for field.
"""

import json
import os
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CRD_GROUP = "monitoring.coreos.com/v1"
MOUNT = "/etc/irsa-verify"


def fail(msg):
    sys.exit(f"check_rendered: {msg}")


def expect(cond, msg):
    if not cond:
        fail(msg)


def reference_pod():
    """The pod template of today's Job: what every mode must match."""
    with open(os.path.join(ROOT, "manifests/job/job.yaml")) as f:
        return yaml.safe_load(f)["spec"]["template"]["spec"]


def pod_of(doc):
    kind = doc["kind"]
    if kind == "Pod":
        return doc["spec"]
    if kind in ("Job", "Deployment"):
        return doc["spec"]["template"]["spec"]
    if kind == "CronJob":
        return doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return None


def check_pod(pod, configmap, ref):
    # Pod Security "restricted", exactly as manifests/job/job.yaml has it.
    for key in ("automountServiceAccountToken", "securityContext"):
        expect(pod.get(key) == ref[key], f"pod {key} is {pod.get(key)!r}, the Job's is {ref[key]!r}")
    expect(len(pod["containers"]) == 1, "one container")
    c, rc = pod["containers"][0], ref["containers"][0]
    for key in ("securityContext", "resources", "terminationMessagePath", "terminationMessagePolicy"):
        expect(c.get(key) == rc[key], f"container {key} is {c.get(key)!r}, the Job's is {rc[key]!r}")
    # Every file the arguments name under the mount is a projected ConfigMap key.
    (volume,) = [v for v in pod["volumes"] if v["name"] == "config"]
    expect(volume["configMap"]["name"] == configmap["metadata"]["name"], "the volume is the release's ConfigMap")
    items = {i["path"]: i["key"] for i in volume["configMap"]["items"]}
    for path, key in items.items():
        expect(key in configmap["data"], f"the volume projects {key}, which the ConfigMap lacks")
        # policy.NAME.json is the policy file policies/NAME.json, chain.N.NAME.json
        # chain hop N's chain/N/NAME.json; the rest keep their names.
        if key.startswith("policy."):
            want = "policies/" + key[len("policy.") :]
        elif key.startswith("chain."):
            want = "chain/" + key[len("chain.") :].replace(".", "/", 1)
        else:
            want = key
        expect(path == want, f"{key} is mounted as {path}, not {want}")
    expect(sorted(items.values()) == sorted(configmap["data"]), "every ConfigMap key is mounted")
    (mount,) = c["volumeMounts"]
    expect(mount == {"name": "config", "mountPath": MOUNT, "readOnly": True}, f"mount {mount}")
    for arg in c["args"]:
        # A path argument, or a chain hop's ROLE_ARN=PATH.
        path = arg.split("=", 1)[1] if "=" + MOUNT + "/" in arg else arg
        if path.startswith(MOUNT + "/"):
            rel = path[len(MOUNT) + 1 :]
            expect(rel in items or any(p.startswith(rel + "/") for p in items), f"{arg} is not mounted")
    return c, items


def materialize(outdir, configmap, items, container):
    etc = os.path.join(outdir, "etc")
    for path, key in items.items():
        dest = os.path.join(etc, path)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        with open(dest, "w") as f:
            f.write(configmap["data"][key])
    with open(os.path.join(outdir, "args"), "w") as f:
        for arg in container["args"]:
            f.write(arg.replace(MOUNT, etc) + "\n")
    with open(os.path.join(outdir, "env"), "w") as f:
        for e in container.get("env", []):
            f.write(f"{e['name']}={e['value']}\n")


def annotations(doc):
    return doc["metadata"].get("annotations") or {}


def hook_keys(doc):
    return {k for k in annotations(doc) if k.startswith(("helm.sh/hook", "argocd.argoproj.io/hook"))}


# The fields this chart may set on the CRD kinds, as the Prometheus Operator
# defines them: the operator's schemas (validate-crds.cjs) refuse wrong types
# and values but, like the API server, would let an unknown field through.
SERVICEMONITOR_SPEC = {"selector", "endpoints", "namespaceSelector", "jobLabel"}
SERVICEMONITOR_ENDPOINT = {"port", "path", "interval", "scrapeTimeout", "scheme"}
RULE_GROUP = {"name", "rules", "interval"}
ALERT_RULE = {"alert", "expr", "for", "labels", "annotations"}


def check_crds(docs, service):
    for doc in docs:
        expect(set(doc) == {"apiVersion", "kind", "metadata", "spec"}, f"{doc['kind']} top-level fields {sorted(doc)}")
        if doc["kind"] == "ServiceMonitor":
            spec = doc["spec"]
            expect(set(spec) <= SERVICEMONITOR_SPEC, f"ServiceMonitor spec fields {sorted(spec)}")
            for ep in spec["endpoints"]:
                expect(set(ep) <= SERVICEMONITOR_ENDPOINT, f"ServiceMonitor endpoint fields {sorted(ep)}")
                expect(ep["port"] in [p["name"] for p in service["spec"]["ports"]], "the endpoint's port is the Service's")
                expect(ep["path"] == "/metrics", "scrapes /metrics")
            labels = service["metadata"]["labels"]
            for k, v in spec["selector"]["matchLabels"].items():
                expect(labels.get(k) == v, f"the ServiceMonitor selects the Service ({k})")
        elif doc["kind"] == "PrometheusRule":
            for group in doc["spec"]["groups"]:
                expect(set(group) <= RULE_GROUP, f"rule group fields {sorted(group)}")
                for rule in group["rules"]:
                    expect(set(rule) <= ALERT_RULE, f"rule fields {sorted(rule)}")
                    expect({"summary", "description"} <= set(rule["annotations"]), f"{rule['alert']}: summary and description")
        else:
            fail(f"unexpected {doc['kind']}")


def main():
    mode, rendered, outdir = sys.argv[1:4]
    with open(rendered) as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    builtin = [d for d in docs if d["apiVersion"] != CRD_GROUP]
    crds = [d for d in docs if d["apiVersion"] == CRD_GROUP]
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "builtin.yaml"), "w") as f:
        yaml.safe_dump_all(builtin, f, sort_keys=False)
    with open(os.path.join(outdir, "crds.json"), "w") as f:
        json.dump(crds, f)

    by_kind = {}
    for d in docs:
        by_kind.setdefault(d["kind"], []).append(d)
    workload_kind = {"test": "Pod", "postSync": "Job", "cronJob": "CronJob", "watch": "Deployment"}[mode]
    (workload,) = by_kind[workload_kind]
    (configmap,) = by_kind["ConfigMap"]
    allowed = {"ConfigMap", "ServiceAccount", workload_kind}
    if mode == "watch":
        allowed |= {"Service", "ServiceMonitor", "PrometheusRule"}
    expect(set(by_kind) <= allowed, f"mode {mode} renders {sorted(by_kind)}")
    # Only the workload is a hook, and only in its mode's way: the ServiceAccount
    # and ConfigMap are the release's, there before any hook runs.
    for d in docs:
        if d is not workload:
            expect(not hook_keys(d), f"{d['kind']} carries hook annotations {hook_keys(d)}")

    ann = annotations(workload)
    if mode == "test":
        expect(ann.get("helm.sh/hook") == "test", "helm.sh/hook: test")
        # Kept until the next run, so `helm test --logs` (and a person) can read it.
        expect(ann.get("helm.sh/hook-delete-policy") == "before-hook-creation", "hook-delete-policy: before-hook-creation only")
        expect(hook_keys(workload) == {"helm.sh/hook", "helm.sh/hook-delete-policy"}, f"hook annotations {hook_keys(workload)}")
        expect(workload["spec"]["restartPolicy"] == "Never", "a test pod runs once")
    elif mode == "postSync":
        expect(ann.get("argocd.argoproj.io/hook") == "PostSync", "argocd.argoproj.io/hook: PostSync")
        expect(ann.get("argocd.argoproj.io/hook-delete-policy") == "BeforeHookCreation", "hook-delete-policy BeforeHookCreation")
        expect(hook_keys(workload) == {"argocd.argoproj.io/hook", "argocd.argoproj.io/hook-delete-policy"},
               f"hook annotations {hook_keys(workload)} (a helm.sh/hook would be mapped by Argo CD too)")
        expect(workload["spec"]["backoffLimit"] == 0, "one attempt")
        expect("ttlSecondsAfterFinished" not in workload["spec"], "kept until the next sync replaces it")
    elif mode == "cronJob":
        spec = workload["spec"]
        expect(not hook_keys(workload), "a CronJob is no hook")
        expect(spec["concurrencyPolicy"] == "Forbid", "concurrencyPolicy: Forbid")
        for key in ("successfulJobsHistoryLimit", "failedJobsHistoryLimit"):
            expect(isinstance(spec.get(key), int) and 0 <= spec[key] <= 10, f"{key} bounded")
        expect(spec["schedule"].strip(), "a schedule")
        expect(spec["jobTemplate"]["spec"]["backoffLimit"] == 0, "one attempt per run")
    elif mode == "watch":
        expect(not hook_keys(workload), "a Deployment is no hook")
        expect(workload["spec"]["replicas"] == 1, "one watcher")
        c = pod_of(workload)["containers"][0]
        args = c["args"]
        watch = args.index("--watch")
        expect(args[watch + 1].rstrip("smh").isdigit(), "--watch INTERVAL")
        listen = args[args.index("--listen") + 1]
        port = int(listen.rsplit(":", 1)[1])
        expect(listen == f"0.0.0.0:{port}", "--listen 0.0.0.0:PORT")
        expect(c["ports"] == [{"name": "metrics", "containerPort": port, "protocol": "TCP"}], f"ports {c['ports']}")
        for probe in ("livenessProbe", "readinessProbe"):
            expect(c[probe]["httpGet"] == {"path": "/healthz", "port": "metrics"}, f"{probe} on /healthz")
        (service,) = by_kind["Service"]
        expect(service["spec"]["ports"] == [{"name": "metrics", "port": port, "targetPort": "metrics", "protocol": "TCP"}],
               f"Service ports {service['spec']['ports']}")
        pod_labels = workload["spec"]["template"]["metadata"]["labels"]
        for k, v in service["spec"]["selector"].items():
            expect(pod_labels.get(k) == v, f"the Service selects the watcher's pod ({k})")
        check_crds(crds, service)
        rules = [g for d in by_kind.get("PrometheusRule", []) for g in d["spec"]["groups"]]
        if rules:
            with open(os.path.join(outdir, "rules.yaml"), "w") as f:
                yaml.safe_dump({"groups": rules}, f, sort_keys=False)

    container, items = check_pod(pod_of(workload), configmap, reference_pod())
    materialize(outdir, configmap, items, container)
    print(f"{mode}: {', '.join(sorted(f'{k} x{len(v)}' for k, v in by_kind.items()))}")


if __name__ == "__main__":
    main()
