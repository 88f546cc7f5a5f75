"""Self-check of the patched emulator: each patch in fidelity.py, asserted
with boto3 against a moto server started for this check.

  .venv-moto/bin/python tests/emulator/check_fidelity.py [--endpoint URL] [--binary PATH] [-v]

Without --endpoint it starts moto_server.py on a free loopback port (it exits
with this process), bootstraps the admin user as scenario.py does, seeds a
few resources (and what `scenario.py seed-addons` creates) and a user with
resource-scoped policies, and prints one line per assertion. Exits 1 if any
assertion fails.

The "probe catalogue" section reads the catalogue from the binary
(`irsa-verify --list-probes --format json`; --binary, else $IRSA_VERIFY_BIN,
else target/debug/irsa-verify, which `cargo build` makes), fills every wire
row with the resources seeded here as the agent fills it, sends it as the
agent does, and asserts per row: the allowed answer (2xx, or an error the
row names: DryRunOperation, DryRunOperationException) for a user allowed
everything and for one allowed only the row's own resources (its ARN
templates, filled the same way), and the service's own denial for a user
with no policy; for a deny-only row, any definitive answer but a denial.
Every wire row is sent: a row this check cannot fill fails, and so does the
count.
"""

import argparse
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from xml.sax.saxutils import escape

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import scenario  # noqa: E402

REGION = scenario.REGION
# A file system ID no file system has: the scoped user's DescribeMountTargets grant.
EFS_GRANTED = "fs-0123456789abcdef0"
# A protection ID no protection has: the grant names it, not the seeded one.
SHIELD_GRANTED = "00000000-0000-4000-8000-000000000000"
# A user pool ID no pool has: the grant names it, not the seeded pool.
COGNITO_GRANTED = f"{REGION}_irsaGrant"
USER = "fidelity-user"
ROLE = "fidelity-role"

results = []


def report(ok, what, detail=""):
    results.append(ok)
    line = f"{'ok  ' if ok else 'FAIL'} - {what}"
    if detail and (not ok or VERBOSE):
        line += f"  [{detail}]"
    print(line, flush=True)


VERBOSE = False


def call(fn):
    """(status, code, message, headers) of a boto3 call; a failure before any
    answer (a client-side error) fails the assertion, not the run."""
    try:
        out = fn()
    except ClientError as err:
        meta = err.response.get("ResponseMetadata", {})
        e = err.response.get("Error", {})
        return meta.get("HTTPStatusCode"), e.get("Code"), e.get("Message", ""), meta.get("HTTPHeaders", {})
    except Exception as err:  # noqa: BLE001
        return None, type(err).__name__, str(err), {}
    meta = out.get("ResponseMetadata", {})
    return meta.get("HTTPStatusCode", 200), None, None, meta.get("HTTPHeaders", {})


def expect_ok(what, fn):
    status, code, message, _ = call(fn)
    report(status == 200 and code is None, what, f"{status} {code} {message}")


def expect_error(what, fn, status, code, contains=(), header=None):
    got_status, got_code, message, headers = call(fn)
    ok = got_status == status and got_code == code
    missing = [c for c in contains if c not in (message or "")]
    ok = ok and not missing
    if header:
        name, value = header
        ok = ok and headers.get(name.lower()) == value
    report(ok, what, f"{got_status} {got_code} {message!r} missing={missing} headers={ {k: v for k, v in headers.items() if k.startswith('x-amzn')} }")
    return message


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start_server():
    port = free_port()
    log = open(os.path.join(os.environ.get("TMPDIR", "/tmp"), f"check-fidelity-moto-{port}.log"), "w")
    proc = subprocess.Popen(
        [sys.executable, os.path.join(HERE, "moto_server.py"), "--port", str(port), "--parent-pid", str(os.getpid())],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, f"http://127.0.0.1:{port}", log.name
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.2)
    proc.kill()
    sys.exit(f"moto did not start; see {log.name}")


def make_client(endpoint, key, secret, token=None):
    def c(service, region=REGION):
        return boto3.client(
            service,
            endpoint_url=endpoint,
            region_name=region,
            aws_access_key_id=key,
            aws_secret_access_key=secret,
            aws_session_token=token,
            config=Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"}),
        )

    return c


def raw(endpoint, key, secret, service, method, path, body=b"", headers=None, region=REGION):
    """A hand-signed request: (status, headers, body)."""
    url = endpoint + path
    req = AWSRequest(method=method, url=url, data=body, headers=headers or {})
    SigV4Auth(Credentials(key, secret), service, region).add_auth(req)
    prepared = req.prepare()
    r = urllib.request.Request(url, data=body or None, method=method, headers=dict(prepared.headers.items()))
    try:
        with urllib.request.urlopen(r, timeout=30) as resp:
            return resp.status, dict(resp.headers), resp.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read().decode()


def seed(admin, account):
    """Resources the probes name; returns their identifiers."""
    s = {"account": account}
    sm = admin("secretsmanager")
    for name in ("sec-a", "sec-b"):
        s[name] = sm.create_secret(Name=name, SecretString=f"value of {name}")["ARN"]
    ssm = admin("ssm")
    for name in ("/app/a", "/app/ab", "/app/x", "/other/b"):
        ssm.put_parameter(Name=name, Value="v", Type="String")
    kms = admin("kms")
    s["key_a"] = kms.create_key(Description="a")["KeyMetadata"]
    s["key_b"] = kms.create_key(Description="b")["KeyMetadata"]
    kms.create_alias(AliasName="alias/alpha", TargetKeyId=s["key_a"]["KeyId"])
    logs = admin("logs")
    for name in ("lg-a", "lg-b", "lg-c"):
        logs.create_log_group(logGroupName=name)
    ec2 = admin("ec2")
    s["vol_a"] = ec2.create_volume(Size=1, AvailabilityZone=f"{REGION}a")["VolumeId"]
    s["vol_b"] = ec2.create_volume(Size=1, AvailabilityZone=f"{REGION}a")["VolumeId"]
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    s["instance"] = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, Placement={"AvailabilityZone": f"{REGION}a"})["Instances"][0]["InstanceId"]
    # Resource tags for the aws:ResourceTag / ec2:ResourceTag conditions.
    s["instance_owned"] = ec2.run_instances(
        ImageId=image, MinCount=1, MaxCount=1, Placement={"AvailabilityZone": f"{REGION}a"},
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "owner", "Value": "me"}]}],
    )["Instances"][0]["InstanceId"]
    for name, tags in (("snap_blue", [{"Key": "team", "Value": "blue"}]), ("snap_red", [{"Key": "team", "Value": "red"}]), ("snap_none", [])):
        spec = [{"ResourceType": "snapshot", "Tags": tags}] if tags else []
        s[name] = ec2.create_snapshot(VolumeId=s["vol_a"], TagSpecifications=spec)["SnapshotId"]
    r53 = admin("route53")
    s["zone"] = r53.create_hosted_zone(Name="fidelity.test.", CallerReference="fidelity")["HostedZone"]["Id"].split("/")[-1]
    r53.change_resource_record_sets(HostedZoneId=s["zone"], ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": {
        "Name": "seeded.fidelity.test.", "Type": "TXT", "TTL": 60, "ResourceRecords": [{"Value": '"seeded"'}]}}]})
    eks = admin("eks")
    eks.create_cluster(name="c1", roleArn=f"arn:aws:iam::{s['account']}:role/eks", resourcesVpcConfig={"subnetIds": []})
    s["queue"] = admin("sqs").create_queue(QueueName="q1")["QueueUrl"]
    s["topic"] = admin("sns").create_topic(Name="t1")["TopicArn"]
    for repo in ("r1", "r2"):
        admin("ecr").create_repository(repositoryName=repo)
    asg = admin("autoscaling")
    asg.create_launch_configuration(LaunchConfigurationName="lc", ImageId=image, InstanceType="t3.micro")
    for name in ("asg-a", "asg-b"):
        asg.create_auto_scaling_group(AutoScalingGroupName=name, LaunchConfigurationName="lc", MinSize=0, MaxSize=1, DesiredCapacity=0, AvailabilityZones=[f"{REGION}a"])
    s["asg_b_arn"] = asg.describe_auto_scaling_groups(AutoScalingGroupNames=["asg-b"])["AutoScalingGroups"][0]["AutoScalingGroupARN"]
    # A role any principal of the account may assume (its trust policy names
    # the account's root): sts:AssumeRole's catalogue row names it.
    root = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "sts:AssumeRole"}]}
    s["role"] = admin("iam").create_role(RoleName="fidelity-assumable", Path="/probe/", AssumeRolePolicyDocument=json.dumps(root))["Role"]["Arn"]
    ddb = admin("dynamodb")
    for t in ("t-a", "t-b"):
        ddb.create_table(
            TableName=t,
            AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
    return s


def user_policy(s, attach_instance=False):
    a, r = s["account"], REGION
    statements = [
        {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": f"arn:aws:secretsmanager:{r}:{a}:secret:sec-a-??????"},
        {"Effect": "Allow", "Action": "SecretsManager:describesecret", "Resource": f"arn:aws:secretsmanager:{r}:{a}:secret:sec-a-*"},
        {"Effect": "Allow", "Action": "ssm:GetParameter", "Resource": f"arn:aws:ssm:{r}:{a}:parameter/app/?"},
        {"Effect": "Deny", "Action": "ssm:GetParameter", "Resource": f"arn:aws:ssm:{r}:{a}:parameter/app/x"},
        # AWS's public parameters: no account in their ARN.
        {"Effect": "Allow", "Action": "ssm:GetParameter", "Resource": f"arn:aws:ssm:{r}::parameter/aws/service/ami-amazon-linux-latest/al2023-*"},
        {"Effect": "Allow", "Action": "ssm:GetParameter", "Resource": f"arn:aws:ssm:{r}:{a}:parameter/aws/service/ami-amazon-linux-latest/amzn2-*"},
        {"Effect": "Allow", "Action": ["kms:Encrypt", "kms:CreateGrant", "kms:DescribeKey"], "Resource": s["key_a"]["Arn"]},
        {"Effect": "Allow", "Action": "logs:DescribeLogStreams", "Resource": f"arn:aws:logs:{r}:{a}:log-group:lg-a:*"},
        {"Effect": "Allow", "Action": "logs:DescribeLogStreams", "Resource": f"arn:aws:logs:{r}:{a}:log-group:lg-c"},
        {"Effect": "Allow", "Action": "logs:DescribeLogGroups", "Resource": f"arn:aws:logs:{r}:{a}:log-group:*"},
        {"Effect": "Allow", "Action": "elasticfilesystem:DescribeMountTargets", "Resource": f"arn:aws:elasticfilesystem:{r}:{a}:file-system/{EFS_GRANTED}"},
        {"Effect": "Allow", "Action": "shield:DescribeProtection", "Resource": f"arn:aws:shield::{a}:protection/{SHIELD_GRANTED}"},
        {"Effect": "Allow", "Action": "cognito-idp:DescribeUserPoolClient", "Resource": f"arn:aws:cognito-idp:{r}:{a}:userpool/{COGNITO_GRANTED}"},
        {"Effect": "Allow", "Action": "ec2:DeleteVolume", "Resource": f"arn:aws:ec2:{r}:{a}:volume/{s['vol_a']}"},
        {"Effect": "Allow", "Action": "ec2:AttachVolume", "Resource": f"arn:aws:ec2:{r}:{a}:volume/*"},
        {
            "Effect": "Allow",
            "Action": "ec2:CreateVolume",
            "Resource": f"arn:aws:ec2:{r}:{a}:volume/*",
            "Condition": {"StringLike": {"aws:RequestTag/team": "b?ue"}},
        },
        {
            "Effect": "Allow",
            "Action": "ec2:CreateTags",
            "Resource": f"arn:aws:ec2:{r}:{a}:volume/*",
            "Condition": {"StringEquals": {"ec2:CreateAction": "CreateVolume"}},
        },
        {"Effect": "Deny", "Action": "ec2:CreateVolume", "Resource": "*", "Condition": {"Null": {"aws:RequestTag/owner": "true"}}},
        {"Effect": "Allow", "Action": ["ec2:DeleteSnapshot", "ec2:LockSnapshot"], "Resource": f"arn:aws:ec2:{r}::snapshot/*", "Condition": {"StringEquals": {"ec2:ResourceTag/team": "blue"}}},
        {"Effect": "Allow", "Action": "ec2:TerminateInstances", "Resource": f"arn:aws:ec2:{r}:{a}:instance/*", "Condition": {"Null": {"aws:ResourceTag/owner": "false"}}},
        {"Effect": "Allow", "Action": "ec2:StopInstances", "Resource": f"arn:aws:ec2:{r}:{a}:instance/*", "Condition": {"Null": {"aws:ResourceTag/owner": "true"}}},
        {"Effect": "Allow", "Action": "ec2:RebootInstances", "Resource": f"arn:aws:ec2:{r}:{a}:instance/*", "Condition": {"StringLike": {"aws:ResourceTag/owner": "m?"}}},
        {"Effect": "Allow", "Action": "eks:DescribeCluster", "Resource": f"arn:aws:eks:{r}:{a}:cluster/c1"},
        {"Effect": "Allow", "Action": "route53:GetHostedZone", "Resource": f"arn:aws:route53:::hostedzone/{s['zone']}"},
        {
            "Effect": "Allow",
            "Action": "route53:ChangeResourceRecordSets",
            "Resource": f"arn:aws:route53:::hostedzone/{s['zone']}",
            "Condition": {"ForAllValues:StringEquals": {"route53:ChangeResourceRecordSetsRecordTypes": ["TXT"]}},
        },
        {"Effect": "Allow", "Action": "dynamodb:DescribeTable", "Resource": f"arn:aws:dynamodb:{r}:{a}:table/t-a"},
        {"Effect": "Allow", "Action": "sqs:GetQueueAttributes", "Resource": f"arn:aws:sqs:{r}:{a}:q1"},
        {"Effect": "Allow", "Action": "sns:GetTopicAttributes", "Resource": s["topic"]},
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": f"arn:aws:iam::{a}:role/{ROLE}"},
        {"Effect": "Allow", "Action": "autoscaling:SetDesiredCapacity", "Resource": f"arn:aws:autoscaling:{r}:{a}:autoScalingGroup:*:autoScalingGroupName/asg-a"},
        {"Effect": "Allow", "Action": "elasticloadbalancing:DeleteTargetGroup", "Resource": f"arn:aws:elasticloadbalancing:{r}:{a}:targetgroup/tg-a/*"},
        # The load balancer controller's form: any ELBv2 resource tagged elbv2.k8s.aws/cluster.
        {
            "Effect": "Allow",
            "Action": ["elasticloadbalancing:RemoveTags", "elasticloadbalancing:DeleteLoadBalancer"],
            "Resource": "*",
            "Condition": {"Null": {"aws:ResourceTag/elbv2.k8s.aws/cluster": "false"}},
        },
        {"Effect": "Allow", "Action": "elasticloadbalancing:SetRulePriorities", "Resource": f"arn:aws:elasticloadbalancing:{r}:{a}:listener-rule/app/irsa-verify-granted/*"},
        {"Effect": "Allow", "Action": "ecr:DescribeImages", "Resource": f"arn:aws:ecr:{r}:{a}:repository/r1"},
    ]
    if attach_instance:
        statements.append({"Effect": "Allow", "Action": "ec2:AttachVolume", "Resource": f"arn:aws:ec2:{r}:{a}:instance/*"})
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


# --------------------------------------------------------------------------
# The probe catalogue: every wire row of `irsa-verify --list-probes --format
# json` (src/catalogue/rows.rs), filled with the resources seeded here and
# sent as src/probe/wire.rs sends it. S3, DynamoDB and IMDS rows are SDK
# probes with their own tests.
# --------------------------------------------------------------------------

ROOT = os.path.dirname(os.path.dirname(HERE))

# The services' denials: AWS's error per protocol (and the services that
# differ), as src/answer.rs reads them.
DENIAL_BY_PROTOCOL = {
    "ec2Query": (403, "UnauthorizedOperation"),
    "awsQuery": (403, "AccessDenied"),
    "awsJson1_0": (400, "AccessDeniedException"),
    "awsJson1_1": (400, "AccessDeniedException"),
    "restJson1": (403, "AccessDeniedException"),
    "restXml": (403, "AccessDenied"),
}
DENIAL_BY_SERVICE = {
    "sns": (403, "AuthorizationError"),
    # awsJson 1.0, query-compatible: the code comes in x-amzn-query-error.
    "sqs": (403, "AccessDenied"),
}
DENIALS = ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError")


def load_catalogue(binary):
    """The catalogue as the binary lists it: {"rows": [...], ...}."""
    if not os.path.exists(binary):
        sys.exit(f"{binary} not found: build it first (cargo build), or pass --binary / IRSA_VERIFY_BIN")
    out = subprocess.run([binary, "--list-probes", "--format", "json"], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


class FillError(Exception):
    """A row names something this check has not seeded (a new kind of target,
    ID or found resource): the row cannot be sent as it would be."""


class Fill:
    """What a row's placeholders are filled with for one request, as
    src/probe/wire.rs fills them; one random token per row, shared by the
    request and the ARNs the row authorizes (made-up ARNs must match)."""

    def __init__(self, seeded, row):
        self.s = seeded
        self.row = row
        self.token = secrets.token_hex(16)
        kind = row["target"]
        if kind == "account":
            self.name = self.arn_name = ""
        elif kind in seeded["names"]:
            self.name = seeded["names"][kind]
            # SSM ARNs drop the name's leading '/' (src/check.rs arn_name); a
            # role is named by its ARN, and its resource template spells the
            # path and name after `role/`.
            if kind.startswith("parameter"):
                self.arn_name = self.name.lstrip("/")
            elif kind == "role":
                self.arn_name = self.name.split(":role/", 1)[1]
            else:
                self.arn_name = self.name
        else:
            raise FillError(f"no seeded {kind} to name")

    def uuid(self):
        """The token as a UUID, as src/probe/wire.rs spells it."""
        t = self.token
        return f"{t[:8]}-{t[8:12]}-4{t[13:16]}-8{t[17:20]}-{t[20:32]}"

    def template(self, t, name=None):
        out = (
            t.replace("{p}", "aws")
            .replace("{r}", REGION)
            .replace("{a}", self.s["account"])
            .replace("{name}", self.name if name is None else name)
            .replace("{random16}", self.token[:16])
            .replace("{random}", self.token)
            .replace("{uuid}", self.uuid())
            .replace("{changes}", self.s["changes"])
            .replace("{cluster}", self.s["found"]["eks_cluster"])
            .replace("{nodegroup}", self.s["found"]["eks_nodegroup"])
            .replace("{file_system}", self.s["found"]["efs_file_system"])
            .replace("{change}", self.s["found"]["route53_change"])
        )
        # A placeholder this check does not know (JSON's own braces are fine).
        left = re.findall(r"\{[a-z0-9_]+\}", out)
        if left:
            raise FillError(f"{', '.join(left)} left unfilled in {t!r}")
        return out

    def value(self, v, json_protocol):
        kind = v["kind"]
        if kind == "lit":
            return v["text"]
        if kind == "num":
            return v["number"] if json_protocol else str(v["number"])
        if kind == "name":
            return self.name
        if kind == "name_then":
            return self.name + self.template(v["template"])
        if kind in ("random", "made_up"):
            return self.template(v["template"])
        if kind == "uuid":
            return self.uuid()
        if kind == "id":
            if v["id_type"] not in self.s["ids"]:
                raise FillError(f"no seeded {v['id_type']} ID")
            return self.s["ids"][v["id_type"]]
        if kind == "region_then":
            return REGION + v["text"]
        if kind == "raw":
            filled = self.template(v["template"])
            return json.loads(filled) if json_protocol else filled
        if kind == "found":
            if v["found"] not in self.s["found"]:
                raise FillError(f"no seeded {v['found']}")
            return self.s["found"][v["found"]]
        if kind in ("attribute_key", "attribute_value"):
            # As src/probe/lookup.rs reads what is written back: the first of the row's keys
            # that the resource's Describe*Attributes lists, with its value.
            listed = self.s["attributes"].get((v["read"], v["found"]))
            if listed is None:
                raise FillError(f"no attributes read for the seeded {v['found']}")
            # A tag (no keys named): the first with a value, not aws:.
            keys = v["keys"] or [k for k, value in listed.items() if value and not k.lower().startswith("aws:")][:1]
            for key in keys:
                if key in listed:
                    return key if kind == "attribute_key" else listed[key]
            raise FillError(f"the seeded {v['found']} lists none of {v['keys'] or 'its tags'}")
        if kind == "same_settings":
            # As src/probe/same_settings.rs sends them back: the first one
            # listed whose every setting is listed, flattened as the query
            # protocol sends a structure, less what the create does not take.
            listed = self.s["same_settings"].get((v["read"], v["found"]))
            if listed is None:
                raise FillError(f"no {v['list']} read for the seeded {v['found']}")
            for item in listed:
                if not any(_names(item, e) for e in v["incomplete_with"]):
                    return query_form(item, v["dropped"], v["defaults"])
            raise FillError(f"every one of the seeded {v['found']}'s {v['list']} lacks a setting")
        raise FillError(f"a value of kind {kind!r} this check does not know")

    def resource(self, t):
        """One of the row's ARN templates: `{name}` as the ARN spells it, each
        `{id}` the resource of the type before it (`volume/{id}`;
        `nodegroup/{id}/{id}/*` is the cluster, then the node group)."""
        if (":elasticloadbalancing:" in t or ":autoscaling:" in t) and "{id}" in t:
            # A listener, rule, target group or Auto Scaling group found:
            # every `{id}` is a part of its ARN (load balancer name and ID,
            # listener ID, rule ID; a group's ID and name).
            pattern = self.template(t.replace("{id}", "*"))
            for arn in list(self.s["found"].values()) + list(self.s["found_arns"].values()):
                if scenario_match(pattern, arn):
                    return arn
            raise FillError(f"no seeded resource fits {t!r}")
        parts, kind, n = [], None, 0
        for part in t.split("/"):
            if part == "{id}":
                ids = self.s["arn_ids"].get(kind)
                if not ids or n >= len(ids):
                    raise FillError(f"no seeded {kind} for {t!r}")
                parts.append(ids[n])
                n += 1
            else:
                kind, n = part.rsplit(":", 1)[-1], 0
                parts.append(part)
        return self.template("/".join(parts), name=self.arn_name)


def _names(value, element):
    """Does a described resource hold this element at any depth?"""
    if isinstance(value, dict):
        return element in value or any(_names(v, element) for v in value.values())
    if isinstance(value, list):
        return any(_names(v, element) for v in value)
    return False


def query_form(value, dropped, defaults, prefix=""):
    """A described structure as the query protocol sends it: `Field`,
    `Struct.Field`, `List.member.N.Field`; booleans as true/false; less the
    `dropped` fields and the `defaults` structures at their default."""
    out = []
    if isinstance(value, dict):
        for k, v in value.items():
            at_default = any(k == d["element"] and isinstance(v, dict) and v.get(d["member"]) == d["value"] for d in defaults)
            if k not in dropped and not at_default:
                out += query_form(v, dropped, defaults, f"{prefix}{k}.")
    elif isinstance(value, list):
        for i, v in enumerate(value, 1):
            out += query_form(v, dropped, defaults, f"{prefix}member.{i}.")
    elif isinstance(value, bool):
        out.append((prefix[:-1], "true" if value else "false"))
    else:
        out.append((prefix[:-1], str(value)))
    return out


def scenario_match(pattern, value):
    """IAM's `*` (any run of characters) over an ARN, as the agent's own
    templates are matched."""
    return re.fullmatch(".*".join(re.escape(p) for p in pattern.split("*")), value, re.S) is not None


def seeded_for_rows(a, s):
    """The real resources a row's placeholders name, from `seed` and
    `scenario.seed_addons`."""
    f = {
        "load_balancer": a["load_balancer_arn"],
        "target_group": a["target_group_arn"],
        "listener": a["listener_arn"],
        "rule": a["rule_arn"],
        "listener_certificate": a["listener_certificate_arn"],
        "https_listener": a["listener_arn"],
        "instance_target_group": a["target_group_arn"],
        "certificate": a["certificate_arn"],
        "server_certificate": a["server_certificate"],
        "eks_cluster": a["eks_cluster"],
        "eks_nodegroup": a["eks_nodegroup"],
        "instance_profile": a["instance_profile"],
        "web_acl": a["web_acl"],
        "efs_file_system": a["efs_file_system"],
        "coip_pool": a["coip_pool"],
        "auto_scaling_group": a["autoscaling_group"],
        "cognito_user_pool": a["cognito_user_pool"],
        "shield_protection": a["shield_protection"],
        "cognito_client": a["cognito_client"],
        "route53_change": a["route53_change"],
    }
    ids = {
        "instance": a["instance"],
        "volume": a["volume"],
        "snapshot": a["snapshot"],
        "security-group": a["security_group"],
        "subnet": a["subnets"][0],
        "vpc": a["vpc"],
        "image": a["image"],
        "launch-template": a["launch_template"],
        "network-interface": a["network_interface"],
        "network-interface-attachment": a["network_interface_attachment"],
    }
    arn_ids = {k: [v] for k, v in ids.items()}
    arn_ids.update(
        {
            "cluster": [f["eks_cluster"]],
            "nodegroup": [f["eks_cluster"], f["eks_nodegroup"]],
            "certificate": [f["certificate"].split("certificate/")[-1]],
            "server-certificate": [f["server_certificate"]],
            "instance-profile": [f["instance_profile"]],
            # regional/webacl/NAME/ID
            "webacl": f["web_acl"].split("webacl/", 1)[-1].split("/"),
            "file-system": [f["efs_file_system"]],
            "coip-pool": [f["coip_pool"]],
            "userpool": [f["cognito_user_pool"]],
            "protection": [f["shield_protection"]],
            "change": [f["route53_change"]],
        }
    )
    names = {
        "secret": a["secret"],
        "parameter": "/app/a",
        "parameter path": "/app",
        "key": s["key_a"]["KeyId"],
        "log group": "lg-a",
        "hosted zone": a["hosted_zone"],
        "queue": s["queue"].rsplit("/", 1)[-1],
        "topic": s["topic"].rsplit(":", 1)[-1],
        "EKS cluster": a["eks_cluster"],
        "role": s["role"],
    }
    return {"account": a["account"], "found": f, "ids": ids, "arn_ids": arn_ids, "names": names, "zone_name": a["hosted_zone_name"], "changes": ""}


def tags_on_create(row):
    """ec2:CreateTags sent as a create that tags what it makes (the row's
    operation is the create's): the create's action, else None."""
    req = row["request"]
    if row["action"] == "ec2:CreateTags" and req.get("operation") != "CreateTags" and req.get("tags_for"):
        return f"ec2:{req['operation']}"
    return None


def build(row, fill):
    """(signing name, signing region, method, path, body, headers) of a
    row's request, as src/probe/wire.rs and src/signed build it."""
    from urllib.parse import quote

    req = row["request"]
    protocol = req["protocol"]
    # Global services sign for the partition's home region; Shield's API
    # lives in us-east-1 only, the Price List Service's in us-east-1 and
    # ap-south-1 (src/signed/endpoint.rs).
    region = "us-east-1" if req["global"] or row["service"] in ("shield", "pricing") else REGION
    json_protocol = protocol.startswith("awsJson")
    params = []
    for p in req["params"]:
        value = fill.value(p["value"], json_protocol)
        # A create's copied settings are many parameters.
        params += value if p["value"]["kind"] == "same_settings" else [(p["name"], value)]
    headers = {}
    method, path = req["method"], fill.template(req["path"])
    if protocol in ("ec2Query", "awsQuery"):
        pairs = [("Action", req["operation"]), ("Version", req["version"])]
        pairs += [("DryRun", "true")] if req["dry_run"] else []
        pairs += params
        if tags_on_create(row):
            # ec2:CreateTags sent as a create: the create carries a tag, as
            # the agent's does, so that the tagging is authorized too.
            pairs += [
                ("TagSpecification.1.ResourceType", req["tags_for"]),
                ("TagSpecification.1.Tag.1.Key", "irsa-verify-probe"),
                ("TagSpecification.1.Tag.1.Value", "dry-run"),
            ]
        body = "&".join(f"{quote(k, safe='')}={quote(str(v), safe='')}" for k, v in pairs).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif json_protocol:
        doc = dict(params)
        if req["dry_run"]:
            doc["DryRun"] = True
        body = json.dumps(doc).encode()
        version = "1.0" if protocol == "awsJson1_0" else "1.1"
        headers.update({"Content-Type": f"application/x-amz-json-{version}", "X-Amz-Target": f"{req['version']}.{req['operation']}"})
    elif protocol == "restJson1" and method == "POST" and not req["xml"]:
        # Its body members as a JSON object, `{}` when none is set.
        body = json.dumps(dict(params)).encode()
        headers["Content-Type"] = "application/json"
    else:
        body = b""
        if req["xml"]:
            body = fill.template(req["xml"]).encode()
            headers["Content-Type"] = "application/xml"
    return req["signing_name"], region, method, path, body, headers


def send(endpoint, creds, request):
    """One signed request: (status, error code or None, message). The code is
    read as src/signed/errors.rs reads it: x-amzn-query-error first, then
    x-amzn-ErrorType, then the body's."""
    signing, region, method, path, body, headers = request
    status, out_headers, text = raw(endpoint, creds[0], creds[1], signing, method, path, body, headers, region)
    if 200 <= status < 300:
        return status, None, ""
    lower = {k.lower(): v for k, v in out_headers.items()}
    try:
        doc = json.loads(text) if text.lstrip().startswith("{") else {}
    except ValueError:
        doc = {}
    code = (lower.get("x-amzn-query-error") or "").split(";")[0] or lower.get("x-amzn-errortype")
    if not code:
        m = re.search(r"<Code>([^<]+)</Code>", text)
        code = m.group(1) if m else doc.get("__type") or doc.get("code") or doc.get("Code")
    code = (code or "").split(":")[0].split("#")[-1].strip() or None
    m = re.search(r"<Message>([^<]*)</Message>", text)
    message = m.group(1) if m else doc.get("message") or doc.get("Message") or text[:200]
    return status, code, message


def allowed_answer(row, status, code, message):
    """Whether an answer is one the row reads as allowed: a 2xx, or one of
    its authorized errors (with the message it must contain)."""
    if status is not None and 200 <= status < 300 and code is None:
        return True
    for a in row["allowed"]:
        if code == a["code"] and (not a["message_has"] or any(m.lower() in (message or "").lower() for m in a["message_has"])):
            return True
    return False


def check_catalogue_rows(endpoint, iam, a, s, catalogue):
    """Per wire row: the allowed answer for a caller allowed everything and
    for one allowed only the row's resources, and the service's own denial,
    naming the action, for a caller with no policy. A deny-only row passes
    on any definitive answer that is not a denial."""
    seeded = seeded_for_rows(a, s)
    wire_rows = [r for r in catalogue["rows"] if "protocol" in r["request"]]
    # The attributes the write-back rows read, read now as the agent reads
    # them right before its write (admin credentials: the read is not what
    # is checked).
    admin = make_client(endpoint, os.environ["IRSA_TEST_ADMIN_KEY"], os.environ["IRSA_TEST_ADMIN_SECRET"])
    elb, asg = admin("elbv2"), admin("autoscaling")
    # A found resource named by its name, whose ARN the request is
    # authorized on.
    seeded["found_arns"] = {
        "auto_scaling_group": asg.describe_auto_scaling_groups(AutoScalingGroupNames=[seeded["found"]["auto_scaling_group"]])["AutoScalingGroups"][0]["AutoScalingGroupARN"],
    }
    seeded["attributes"] = {}
    for row in wire_rows:
        for p in row["request"]["params"]:
            v = p["value"]
            if v["kind"] in ("attribute_key", "attribute_value") and v["found"] in seeded["found"]:
                method = re.sub(r"(?<!^)(?=[A-Z])", "_", v["read"]).lower()
                resource = seeded["found"][v["found"]]
                if v["read"] == "DescribeAutoScalingGroups":
                    item = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[resource])["AutoScalingGroups"][0]
                    got = [{"Key": k, "Value": str(item[k])} for k in v["keys"] if k in item]
                elif v["read"] == "DescribeTags":
                    got = elb.describe_tags(ResourceArns=[resource])["TagDescriptions"][0]["Tags"]
                elif v["read"] in ("DescribeTargetGroups", "DescribeLoadBalancers", "DescribeRules"):
                    # A setting that is its own element of the resource's
                    # description, as its XML spells it (true, not True).
                    plural = v["read"][len("Describe"):]
                    item = getattr(elb, method)(**{plural[:-1] + "Arns": [resource]})[plural][0]
                    got = [{"Key": k, "Value": str(item[k]).lower() if isinstance(item[k], bool) else str(item[k])}
                           for k in v["keys"] if k in item]
                else:
                    got = getattr(elb, method)(**{v["read_param"]: resource})["Attributes"]
                seeded["attributes"][(v["read"], v["found"])] = {x["Key"]: x.get("Value", "") for x in got}
    # The zone's first TXT record set, read now as the agent reads it right
    # before it writes it back (deleted and created again, one batch), and
    # written as Route 53's XML spells a record set.
    r53 = admin("route53")
    txt = [r for r in r53.list_resource_record_sets(HostedZoneId=seeded["names"]["hosted zone"])["ResourceRecordSets"] if r["Type"] == "TXT"][0]
    record_set = (
        f"<ResourceRecordSet><Name>{escape(txt['Name'])}</Name><Type>TXT</Type><TTL>{txt['TTL']}</TTL><ResourceRecords>"
        + "".join(f"<ResourceRecord><Value>{escape(r['Value'])}</Value></ResourceRecord>" for r in txt["ResourceRecords"])
        + "</ResourceRecords></ResourceRecordSet>"
    )
    seeded["changes"] = f"<Change><Action>DELETE</Action>{record_set}</Change><Change><Action>CREATE</Action>{record_set}</Change>"
    # The resources a create copies the settings of, read now as the agent
    # reads them right before its create.
    seeded["same_settings"] = {}
    for row in wire_rows:
        for p in row["request"]["params"]:
            v = p["value"]
            if v["kind"] == "same_settings" and v["found"] in seeded["found"]:
                method = re.sub(r"(?<!^)(?=[A-Z])", "_", v["read"]).lower()
                listed = getattr(elb, method)(**{v["read_param"]: seeded["found"][v["found"]]})[v["list"]]
                seeded["same_settings"][(v["read"], v["found"])] = listed
    prepared = []
    for row in wire_rows:
        try:
            fill = Fill(seeded, row)
            prepared.append((row, build(row, fill), [fill.resource(t) for t in row["resources"]]))
        except FillError as why:
            report(False, f"{row['action']}: cannot be sent as irsa-verify would: {why}")

    def user_keys(name, statements):
        iam.create_user(UserName=name)
        for i in range(0, len(statements), 20):
            doc = {"Version": "2012-10-17", "Statement": statements[i : i + 20]}
            iam.put_user_policy(UserName=name, PolicyName=f"p{i // 20}", PolicyDocument=json.dumps(doc))
        key = iam.create_access_key(UserName=name)["AccessKey"]
        return key["AccessKeyId"], key["SecretAccessKey"]

    everything = user_keys("fidelity-everything", [{"Effect": "Allow", "Action": "*", "Resource": "*"}])
    # A create that tags is authorized as the create too, on the same resources.
    scoped = user_keys(
        "fidelity-row-scoped",
        [{"Effect": "Allow", "Action": [row["action"]] + [a for a in [tags_on_create(row)] if a], "Resource": res} for row, _, res in prepared],
    )
    nobody = user_keys("fidelity-nobody", [])
    create_only = {}
    for row, request, resources in prepared:
        action = row["action"]
        for who, creds in (("allowed", everything), ("allowed on its resources", scoped)):
            status, code, message = send(endpoint, creds, request)
            if row["tells"] == "denial-only":
                good = status is not None and status < 500 and code not in DENIALS
                what = "a definitive answer, not a denial"
            else:
                good = allowed_answer(row, status, code, message)
                what = " or ".join(["2xx"] + [x["code"] for x in row["allowed"]])
            detail = f"{status} {code} {message[:200]!r}" + (f" resources={resources}" if who != "allowed" else "")
            report(good, f"{action} {who}: {what}", detail)
        want_status, want_code = DENIAL_BY_SERVICE.get(row["service"]) or DENIAL_BY_PROTOCOL[row["request"]["protocol"]]
        status, code, message = send(endpoint, nobody, request)
        # A create that tags is refused as the create or as its tagging.
        named = [action] + [a for a in [tags_on_create(row)] if a]
        good = status == want_status and code == want_code and any(f"is not authorized to perform: {a}".lower() in message.lower() for a in named)
        report(good, f"{action} denied: {want_status} {want_code}", f"{status} {code} {message[:200]!r}")
        create = tags_on_create(row)
        if create:
            # The tagging is authorized apart: a caller allowed the create
            # alone is refused, naming ec2:CreateTags on what it creates.
            if create not in create_only:
                create_only[create] = user_keys(f"fidelity-{create.split(':')[1].lower()}-only", [{"Effect": "Allow", "Action": create, "Resource": "*"}])
            status, code, message = send(endpoint, create_only[create], request)
            good = status == want_status and code == want_code and f"is not authorized to perform: {action} on resource: ".lower() in message.lower()
            report(good, f"{action} as {create}: denied to a caller allowed {create} alone, naming {action}", f"{status} {code} {message[:200]!r}")
    report(
        len(prepared) == len(wire_rows),
        f"every wire row of the catalogue exercised: {len(prepared)} of {len(wire_rows)}",
    )


def main():
    global VERBOSE
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--endpoint", help="a fresh emulator already started with moto_server.py (default: start one)")
    p.add_argument("-v", "--verbose", action="store_true", help="print the answer behind each passing assertion too")
    p.add_argument(
        "--binary",
        default=os.environ.get("IRSA_VERIFY_BIN") or os.path.join(ROOT, "target", "debug", "irsa-verify"),
        help="the irsa-verify whose catalogue is checked (default: $IRSA_VERIFY_BIN, else target/debug/irsa-verify)",
    )
    args = p.parse_args()
    VERBOSE = args.verbose
    # Read first: a missing binary stops the check before moto starts.
    catalogue = load_catalogue(args.binary)

    proc = None
    if args.endpoint:
        endpoint = args.endpoint
    else:
        proc, endpoint, log = start_server()
        print(f"# moto on {endpoint}, log {log}", flush=True)
    try:
        return run(endpoint, catalogue)
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=10)


def run(endpoint, catalogue):
    boot = scenario.bootstrap(endpoint)
    os.environ["IRSA_TEST_ADMIN_KEY"], os.environ["IRSA_TEST_ADMIN_SECRET"] = boot["key"], boot["secret"]
    admin = make_client(endpoint, boot["key"], boot["secret"])
    account = boot["account"]
    s = seed(admin, account)
    addons = scenario.seed_addons(endpoint)

    iam = admin("iam")
    iam.create_user(UserName=USER)
    iam.put_user_policy(UserName=USER, PolicyName="scoped", PolicyDocument=user_policy(s))
    key = iam.create_access_key(UserName=USER)["AccessKey"]
    user = make_client(endpoint, key["AccessKeyId"], key["SecretAccessKey"])
    me = f"arn:aws:iam::{account}:user/{USER}"
    implicit = "because no identity-based policy allows the"

    # A role for the assumed-role principal (web identity, as IRSA does),
    # which the user may also sts:AssumeRole.
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Federated": f"arn:aws:iam::{account}:oidc-provider/example"}, "Action": "sts:AssumeRoleWithWebIdentity"},
            {"Effect": "Allow", "Principal": {"AWS": me}, "Action": "sts:AssumeRole"},
        ],
    }
    iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(
        RoleName=ROLE,
        PolicyName="scoped",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ssm:GetParameter", "Resource": f"arn:aws:ssm:{REGION}:{account}:parameter/app/a"}]}),
    )
    # Snapshot after seeding: nothing below may change data (IAM/STS excluded).
    before = scenario.snapshot_all(endpoint)

    print("# resource-scoped authorization")
    expect_ok("secretsmanager:GetSecretValue allowed on the granted secret (name-?????? pattern)", lambda: user("secretsmanager").get_secret_value(SecretId="sec-a"))
    expect_ok("secretsmanager:GetSecretValue allowed by the secret's full ARN", lambda: user("secretsmanager").get_secret_value(SecretId=s["sec-a"]))
    expect_error(
        "secretsmanager:GetSecretValue denied on another secret; message names it as given",
        lambda: user("secretsmanager").get_secret_value(SecretId="sec-b"),
        400, "AccessDeniedException", (f"User: {me} is not authorized to perform: secretsmanager:GetSecretValue on resource: sec-b {implicit} secretsmanager:GetSecretValue action",),
    )
    # GetSecretValue's other form (--from-policy, a secret a pattern names):
    # a made-up secret of the name, by its full ARN, is authorized on that
    # ARN and, allowed, is not found (AWS: "ResourceNotFoundException or
    # AccessDeniedException, depending on your permissions").
    made_up_a = s["sec-a"].rsplit("-", 1)[0] + "-0a1b2c"
    made_up_b = s["sec-b"].rsplit("-", 1)[0] + "-0a1b2c"
    expect_error(
        "secretsmanager:GetSecretValue on a made-up secret the granted pattern covers: not found",
        lambda: user("secretsmanager").get_secret_value(SecretId=made_up_a),
        400, "ResourceNotFoundException",
    )
    expect_error(
        "secretsmanager:GetSecretValue on a made-up secret outside the grant: denied on that ARN",
        lambda: user("secretsmanager").get_secret_value(SecretId=made_up_b),
        400, "AccessDeniedException", (f"is not authorized to perform: secretsmanager:GetSecretValue on resource: {made_up_b} ",),
    )
    expect_ok("action names match case-insensitively (SecretsManager:describesecret)", lambda: user("secretsmanager").describe_secret(SecretId="sec-a"))
    expect_ok("ssm:GetParameter allowed on parameter/app/? for /app/a", lambda: user("ssm").get_parameter(Name="/app/a"))
    expect_error("ssm:GetParameter: `?` is exactly one character (/app/ab denied)", lambda: user("ssm").get_parameter(Name="/app/ab"), 400, "AccessDeniedException", (f"on resource: arn:aws:ssm:{REGION}:{account}:parameter/app/ab {implicit}",))
    expect_error("ssm:GetParameter denied on another parameter", lambda: user("ssm").get_parameter(Name="/other/b"), 400, "AccessDeniedException", ("parameter/other/b",))
    expect_error(
        "ssm:GetParameter explicit Deny wins over the Allow, with AWS's explicit-deny message",
        lambda: user("ssm").get_parameter(Name="/app/x"),
        400, "AccessDeniedException", ("with an explicit deny in an identity-based policy",),
    )
    public = "/aws/service/ami-amazon-linux-latest"
    expect_ok(
        "ssm:GetParameter on a public parameter allowed by a grant on its account-less ARN",
        lambda: user("ssm").get_parameter(Name=f"{public}/al2023-ami-kernel-default-x86_64"),
    )
    expect_error(
        "ssm:GetParameter on a public parameter is authorized on its account-less ARN, not the caller's account",
        lambda: user("ssm").get_parameter(Name=f"{public}/amzn2-ami-hvm-x86_64-gp2"),
        400, "AccessDeniedException", (f"on resource: arn:aws:ssm:{REGION}::parameter{public}/amzn2-ami-hvm-x86_64-gp2 {implicit}",),
    )
    expect_ok("kms:DescribeKey allowed on the granted key, named by its alias", lambda: user("kms").describe_key(KeyId="alias/alpha"))
    expect_error("kms:DescribeKey denied on another key", lambda: user("kms").describe_key(KeyId=s["key_b"]["KeyId"]), 400, "AccessDeniedException", (s["key_b"]["Arn"],))
    expect_ok("logs:DescribeLogStreams allowed on the granted log group", lambda: user("logs").describe_log_streams(logGroupName="lg-a"))
    expect_error("logs:DescribeLogStreams denied on another log group", lambda: user("logs").describe_log_streams(logGroupName="lg-b"), 400, "AccessDeniedException", (f"arn:aws:logs:{REGION}:{account}:log-group:lg-b:log-stream: {implicit}",))
    expect_error("logs:DescribeLogStreams denied by a grant on log-group:NAME without :*", lambda: user("logs").describe_log_streams(logGroupName="lg-c"), 400, "AccessDeniedException", ("log-group:lg-c:log-stream:",))
    expect_ok("logs:DescribeLogGroups allowed by a grant on log-group:* (AWS's documented form)", lambda: user("logs").describe_log_groups())
    expect_error("ec2:DeleteVolume DryRun allowed on the granted volume", lambda: user("ec2").delete_volume(VolumeId=s["vol_a"], DryRun=True), 412, "DryRunOperation")
    expect_error("ec2:DeleteVolume DryRun denied on another volume", lambda: user("ec2").delete_volume(VolumeId=s["vol_b"], DryRun=True), 403, "UnauthorizedOperation", (f"volume/{s['vol_b']}",))
    expect_ok("dynamodb:DescribeTable allowed on the granted table", lambda: user("dynamodb").describe_table(TableName="t-a"))
    expect_error("dynamodb:DescribeTable denied on another table (DynamoDB's JSON 400)", lambda: user("dynamodb").describe_table(TableName="t-b"), 400, "AccessDeniedException", (f"table/t-b {implicit}",))
    expect_ok("sqs:GetQueueAttributes allowed on the granted queue", lambda: user("sqs").get_queue_attributes(QueueUrl=s["queue"], AttributeNames=["All"]))
    expect_ok("sns:GetTopicAttributes allowed on the granted topic", lambda: user("sns").get_topic_attributes(TopicArn=s["topic"]))

    print("# EC2: every resource of a request must be allowed")
    attach = lambda: user("ec2").attach_volume(VolumeId=s["vol_a"], InstanceId=s["instance"], Device="/dev/sdf", DryRun=True)  # noqa: E731
    expect_error("ec2:AttachVolume denied with a grant on volume/* alone; message names the instance", attach, 403, "UnauthorizedOperation", (f"instance/{s['instance']}",))
    iam.put_user_policy(UserName=USER, PolicyName="scoped", PolicyDocument=user_policy(s, attach_instance=True))
    expect_error("ec2:AttachVolume allowed once instance/* is granted too", attach, 412, "DryRunOperation")

    print("# conditions on request tags (aws:RequestTag, Null, ec2:CreateAction)")

    def create_volume(tags):
        spec = [{"ResourceType": "volume", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}] if tags else []
        return lambda: user("ec2").create_volume(Size=1, AvailabilityZone=f"{REGION}a", TagSpecifications=spec, DryRun=True)

    expect_error("ec2:CreateVolume DryRun with team=blue owner=me: DryRunOperation", create_volume({"team": "blue", "owner": "me"}), 412, "DryRunOperation")
    expect_error("ec2:CreateVolume DryRun with team=red: UnauthorizedOperation (StringLike b?ue unmet)", create_volume({"team": "red", "owner": "me"}), 403, "UnauthorizedOperation", (implicit,))
    expect_error("ec2:CreateVolume DryRun without owner tag: explicit deny (Null condition)", create_volume({"team": "blue"}), 403, "UnauthorizedOperation", ("explicit deny",))
    expect_error("ec2:CreateVolume DryRun without tags: UnauthorizedOperation", create_volume({}), 403, "UnauthorizedOperation")

    print("# conditions on an existing resource's own tags (aws:ResourceTag, ec2:ResourceTag)")
    ec2u = lambda: user("ec2")  # noqa: E731
    expect_error("ec2:DeleteSnapshot DryRun allowed on the snapshot tagged team=blue (ec2:ResourceTag, StringEquals)", lambda: ec2u().delete_snapshot(SnapshotId=s["snap_blue"], DryRun=True), 412, "DryRunOperation")
    expect_error("ec2:DeleteSnapshot DryRun denied on the snapshot tagged team=red", lambda: ec2u().delete_snapshot(SnapshotId=s["snap_red"], DryRun=True), 403, "UnauthorizedOperation", (f"snapshot/{s['snap_red']} {implicit}",))
    expect_error("ec2:DeleteSnapshot DryRun denied on the untagged snapshot", lambda: ec2u().delete_snapshot(SnapshotId=s["snap_none"], DryRun=True), 403, "UnauthorizedOperation", (f"snapshot/{s['snap_none']}",))
    # moto 5.2.5 has no LockSnapshot: its DryRun is authorized on the
    # snapshot's ARN with the snapshot's own tags, then answered as AWS does.
    lock = dict(LockMode="governance", LockDuration=1, DryRun=True)
    expect_error("ec2:LockSnapshot DryRun allowed on the snapshot tagged team=blue (no moto handler)", lambda: ec2u().lock_snapshot(SnapshotId=s["snap_blue"], **lock), 412, "DryRunOperation")
    expect_error("ec2:LockSnapshot DryRun denied on the snapshot tagged team=red", lambda: ec2u().lock_snapshot(SnapshotId=s["snap_red"], **lock), 403, "UnauthorizedOperation", (f"ec2:LockSnapshot on resource: arn:aws:ec2:{REGION}::snapshot/{s['snap_red']} {implicit}",))
    expect_error("ec2:TerminateInstances DryRun allowed on the instance tagged owner (aws:ResourceTag, Null false)", lambda: ec2u().terminate_instances(InstanceIds=[s["instance_owned"]], DryRun=True), 412, "DryRunOperation")
    expect_error("ec2:TerminateInstances DryRun denied on the instance without owner (Null false)", lambda: ec2u().terminate_instances(InstanceIds=[s["instance"]], DryRun=True), 403, "UnauthorizedOperation", (f"instance/{s['instance']}",))
    expect_error("ec2:StopInstances DryRun allowed on the instance without owner (Null true)", lambda: ec2u().stop_instances(InstanceIds=[s["instance"]], DryRun=True), 412, "DryRunOperation")
    expect_error("ec2:StopInstances DryRun denied on the instance tagged owner (Null true)", lambda: ec2u().stop_instances(InstanceIds=[s["instance_owned"]], DryRun=True), 403, "UnauthorizedOperation", (f"instance/{s['instance_owned']}",))
    expect_error("ec2:RebootInstances DryRun allowed on the instance tagged owner=me (StringLike m?)", lambda: ec2u().reboot_instances(InstanceIds=[s["instance_owned"]], DryRun=True), 412, "DryRunOperation")
    expect_error("ec2:RebootInstances DryRun denied on the instance without the tag (StringLike)", lambda: ec2u().reboot_instances(InstanceIds=[s["instance"]], DryRun=True), 403, "UnauthorizedOperation")
    expect_error(
        "ec2:TerminateInstances DryRun of both: denied, naming the one whose tags fail",
        lambda: ec2u().terminate_instances(InstanceIds=[s["instance_owned"], s["instance"]], DryRun=True),
        403, "UnauthorizedOperation", (f"instance/{s['instance']}",),
    )

    print("# EC2 DryRun on every action")
    admin_dry = lambda fn: lambda: fn(admin("ec2"))  # noqa: E731
    expect_error("ec2:DescribeVolumes DryRun allowed: 412 DryRunOperation (moto answered 200)", admin_dry(lambda e: e.describe_volumes(DryRun=True)), 412, "DryRunOperation")
    expect_error("ec2:DescribeVolumeStatus DryRun allowed: 412 DryRunOperation (moto answered 500)", admin_dry(lambda e: e.describe_volume_status(DryRun=True)), 412, "DryRunOperation")
    expect_ok("ec2:DescribeVolumes without DryRun still answers", admin_dry(lambda e: e.describe_volumes()))

    print("# KMS DryRun")
    expect_error("kms:Encrypt DryRun allowed: 412 DryRunOperationException", lambda: user("kms").encrypt(KeyId=s["key_a"]["KeyId"], Plaintext=b"x", DryRun=True), 412, "DryRunOperationException")
    expect_error("kms:Encrypt DryRun denied: AccessDeniedException", lambda: user("kms").encrypt(KeyId=s["key_b"]["KeyId"], Plaintext=b"x", DryRun=True), 400, "AccessDeniedException", (s["key_b"]["Arn"],))
    expect_error(
        "kms:CreateGrant DryRun allowed: 412 DryRunOperationException",
        lambda: user("kms").create_grant(KeyId=s["key_a"]["Arn"], GranteePrincipal=me, Operations=["Decrypt"], DryRun=True),
        412, "DryRunOperationException",
    )
    grants = admin("kms").list_grants(KeyId=s["key_a"]["KeyId"])["Grants"]
    report(grants == [], "kms:CreateGrant DryRun created no grant", f"{grants}")

    print("# Route 53: the SOA as AWS lists it, change batches' condition keys")
    r53 = admin("route53")
    listed = r53.list_resource_record_sets(HostedZoneId=s["zone"], StartRecordName="fidelity.test.", StartRecordType="SOA", MaxItems="1")["ResourceRecordSets"]
    value = listed[0]["ResourceRecords"][0]["Value"] if listed and listed[0]["Type"] == "SOA" else ""
    report(
        re.fullmatch(r"\S+\. \S+\. \d+ \d+ \d+ \d+ \d+", value) is not None,
        "route53 a new zone's SOA value lists as SOA's seven fields (moto listed a {'Value': ...} object's repr)",
        value,
    )
    soa = listed[0]
    txt = {"Name": "irsa-verify-fidelity.fidelity.test.", "Type": "TXT", "TTL": 60, "ResourceRecords": [{"Value": '"fidelity"'}]}
    upsert = lambda record: lambda: user("route53").change_resource_record_sets(  # noqa: E731
        HostedZoneId=s["zone"], ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": record}]},
    )
    expect_error(
        "route53:ChangeResourceRecordSets of an SOA denied under a condition on TXT records only (moto left the condition unevaluated)",
        upsert(soa), 403, "AccessDenied", ("route53:ChangeResourceRecordSets",),
    )
    expect_error(
        "route53:ChangeResourceRecordSets of a TXT record allowed under that condition (then InvalidChangeBatch: the record to delete was not found)",
        lambda: user("route53").change_resource_record_sets(
            HostedZoneId=s["zone"], ChangeBatch={"Changes": [{"Action": "DELETE", "ResourceRecordSet": txt}]},
        ),
        400, "InvalidChangeBatch", ("but it was not found",),
    )
    # A DELETE and a CREATE of one record set, in one batch, with the values
    # it has: validated in order against the zone as the DELETE leaves it
    # (AWS's own example deletes and creates at one name in one batch).
    txts = lambda: [r for r in r53.list_resource_record_sets(HostedZoneId=s["zone"])["ResourceRecordSets"] if r["Type"] == "TXT"]  # noqa: E731
    before_txt = txts()
    swap = lambda record: lambda: user("route53").change_resource_record_sets(  # noqa: E731
        HostedZoneId=s["zone"], ChangeBatch={"Changes": [{"Action": "DELETE", "ResourceRecordSet": record}, {"Action": "CREATE", "ResourceRecordSet": record}]},
    )
    changed = {}

    def swapped():
        out = swap(before_txt[0])()
        changed.update(out["ChangeInfo"])
        return out

    expect_ok("route53:ChangeResourceRecordSets DELETE and CREATE of a TXT record as listed, in one batch: 200 (moto refused the CREATE)", swapped)
    report(txts() == before_txt, "route53 the TXT record unchanged by deleting and creating it as it was", _first_difference(before_txt, txts()))
    expect_error(
        "route53:ChangeResourceRecordSets DELETE with other values than the record's: InvalidChangeBatch, and nothing changes (moto checked its journal)",
        swap(dict(before_txt[0], TTL=before_txt[0]["TTL"] + 1)), 400, "InvalidChangeBatch", ("do not match the current values",),
    )
    report(txts() == before_txt, "route53 the TXT record unchanged by a refused batch", _first_difference(before_txt, txts()))
    change_id = changed.get("Id", "")
    report(change_id.startswith("/change/C") and change_id != "/change/C2682N5HXP0BZ4", "route53 each change batch has its own ID (moto gave all one)", change_id)
    expect_ok("route53:GetChange of the change just made: 200", lambda: r53.get_change(Id=change_id))
    expect_error(
        "route53:GetChange of a made-up change ID: 404 NoSuchChange (moto answered INSYNC)",
        lambda: r53.get_change(Id="CIRSAVERIFYMADEUP0000"), 404, "NoSuchChange", ("A change with the specified change ID does not exist.",),
    )
    expect_ok("admin route53 UPSERT of the SOA as listed: 200", lambda: r53.change_resource_record_sets(
        HostedZoneId=s["zone"], ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": soa}]},
    ))
    after = r53.list_resource_record_sets(HostedZoneId=s["zone"], StartRecordName="fidelity.test.", StartRecordType="SOA", MaxItems="1")["ResourceRecordSets"]
    report(after == listed, "route53 the SOA unchanged by writing it back as listed", _first_difference(listed, after))

    print("# signed GET requests")
    expect_ok("route53:GetHostedZone (signed GET) succeeds", lambda: user("route53").get_hosted_zone(Id=s["zone"]))
    expect_ok("eks:DescribeCluster (signed GET) succeeds", lambda: user("eks").describe_cluster(name="c1"))
    expect_ok("admin eks:ListClusters (signed GET with a query string) succeeds", lambda: admin("eks").list_clusters(maxResults=10))

    print("# denial shapes")
    x_type = ("x-amzn-errortype", "AccessDeniedException")
    expect_error("ec2: 403 UnauthorizedOperation", lambda: user("ec2").describe_instances(), 403, "UnauthorizedOperation", ("You are not authorized to perform this operation.", f"User: {me} is not authorized to perform: ec2:DescribeInstances {implicit} ec2:DescribeInstances action"))
    expect_error("secretsmanager: 400 AccessDeniedException", lambda: user("secretsmanager").list_secrets(), 400, "AccessDeniedException", (f"User: {me} is not authorized to perform: secretsmanager:ListSecrets {implicit} secretsmanager:ListSecrets action",))
    expect_error("ssm: 400 AccessDeniedException", lambda: user("ssm").describe_parameters(), 400, "AccessDeniedException", (implicit,))
    expect_error("kms: 400 AccessDeniedException", lambda: user("kms").list_keys(), 400, "AccessDeniedException", (implicit,))
    expect_error("logs: 400 AccessDeniedException", lambda: user("logs").describe_log_streams(logGroupName="lg-b"), 400, "AccessDeniedException", (implicit,))
    expect_error("ecr: 400 AccessDeniedException", lambda: user("ecr").describe_repositories(repositoryNames=["r1"]), 400, "AccessDeniedException", (f"repository/r1 {implicit}",))
    expect_error("acm: 400 AccessDeniedException", lambda: user("acm").list_certificates(), 400, "AccessDeniedException", (implicit,))
    expect_error("eks: 403 AccessDeniedException with x-amzn-ErrorType", lambda: user("eks").describe_cluster(name="c2"), 403, "AccessDeniedException", (f"cluster/c2 {implicit}",), header=x_type)
    expect_error("elbv2: 403 AccessDenied", lambda: user("elbv2").describe_load_balancers(), 403, "AccessDenied", (f"elasticloadbalancing:DescribeLoadBalancers {implicit}",))
    expect_error("autoscaling: 403 AccessDenied", lambda: user("autoscaling").describe_auto_scaling_groups(), 403, "AccessDenied", (implicit,))
    expect_error("iam: 403 AccessDenied", lambda: user("iam").list_users(), 403, "AccessDenied", (f"iam:ListUsers {implicit}",))
    expect_error("sns: 403 AuthorizationError", lambda: user("sns").list_topics(), 403, "AuthorizationError", ("SNS:ListTopics",))
    expect_error(
        "sqs (JSON): 403 AccessDenied via x-amzn-query-error",
        lambda: user("sqs").get_queue_attributes(QueueUrl=s["queue"].replace("q1", "q2"), AttributeNames=["All"]),
        403, "AccessDenied", (f"sqs:GetQueueAttributes on resource: arn:aws:sqs:{REGION}:{account}:q2 {implicit}",),
        header=("x-amzn-query-error", "AccessDenied;Sender"),
    )
    status, _, body = raw(endpoint, key["AccessKeyId"], key["SecretAccessKey"], "sqs", "POST", "/", b"Action=ListQueues&Version=2012-11-05", {"Content-Type": "application/x-www-form-urlencoded"})
    report(status == 403 and "<Code>AccessDenied</Code>" in body and "<Type>Sender</Type>" in body, "sqs (query): 403 ErrorResponse AccessDenied", f"{status} {body[:200]}")
    expect_error("route53: 403 AccessDenied", lambda: user("route53").list_hosted_zones(), 403, "AccessDenied", (f"route53:ListHostedZones {implicit}",))
    expect_error("dynamodb: 400 AccessDeniedException", lambda: user("dynamodb").list_tables(), 400, "AccessDeniedException", (implicit,))
    status, headers, body = raw(endpoint, key["AccessKeyId"], key["SecretAccessKey"], "ec2", "POST", "/", b"Action=DescribeVolumes&Version=2016-11-15", {"Content-Type": "application/x-www-form-urlencoded"})
    report(status == 403 and body.count("<Response><Errors><Error><Code>UnauthorizedOperation</Code>") == 1, "ec2 raw body: <Response><Errors><Error><Code>UnauthorizedOperation", f"{status} {body[:160]}")
    status, headers, body = raw(endpoint, key["AccessKeyId"], key["SecretAccessKey"], "kms", "POST", "/", b"{}", {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "TrentService.ListKeys"})
    report(status == 400 and json.loads(body).get("__type") == "AccessDeniedException", "kms raw body: JSON __type AccessDeniedException", f"{status} {body[:160]}")

    print("# Secrets Manager status codes")
    expect_error("secretsmanager ResourceNotFoundException is HTTP 400", lambda: admin("secretsmanager").get_secret_value(SecretId="no-such-secret"), 400, "ResourceNotFoundException")
    expect_error(
        "secretsmanager ListSecretVersionIds on a missing secret: HTTP 400 ResourceNotFoundException, not 500",
        lambda: admin("secretsmanager").list_secret_version_ids(SecretId="no-such-secret"), 400, "ResourceNotFoundException",
    )

    print("# assumed-role principal")
    token = scenario.b64url(b'{"alg":"none"}') + "." + scenario.b64url(b'{"sub":"system:serviceaccount:demo:sa"}') + ".x"
    creds = boto3.client("sts", endpoint_url=endpoint, region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x").assume_role_with_web_identity(
        RoleArn=f"arn:aws:iam::{account}:role/{ROLE}", RoleSessionName="fidelity", WebIdentityToken=token
    )["Credentials"]
    role = make_client(endpoint, creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    expect_ok("assumed role: ssm:GetParameter allowed on its parameter", lambda: role("ssm").get_parameter(Name="/app/a"))
    expect_error(
        "assumed role: denied elsewhere, message names the session",
        lambda: role("ssm").get_parameter(Name="/app/ab"),
        400, "AccessDeniedException", (f"User: arn:aws:sts::{account}:assumed-role/{ROLE}/fidelity is not authorized to perform: ssm:GetParameter",),
    )

    print("# STS AssumeRole against the role's ARN")
    expect_ok("sts:AssumeRole allowed on the granted role", lambda: user("sts").assume_role(RoleArn=f"arn:aws:iam::{account}:role/{ROLE}", RoleSessionName="probe", DurationSeconds=900))
    expect_error(
        "sts:AssumeRole denied on another role: 403 AccessDenied naming it",
        lambda: user("sts").assume_role(RoleArn=f"arn:aws:iam::{account}:role/other", RoleSessionName="probe", DurationSeconds=900),
        403, "AccessDenied", (f"sts:AssumeRole on resource: arn:aws:iam::{account}:role/other {implicit}",),
    )

    print("# STS AssumeRole: the target role's trust policy")
    check_trust_policies(endpoint, iam, admin, role, account, boot["second"])

    print("# more services")
    expect_ok("ecr:DescribeImages allowed on the granted repository", lambda: user("ecr").describe_images(repositoryName="r1"))
    expect_error("ecr:DescribeImages denied on another repository", lambda: user("ecr").describe_images(repositoryName="r2"), 400, "AccessDeniedException", (f"arn:aws:ecr:{REGION}:{account}:repository/r2 {implicit}",))
    expect_error("sns:GetTopicAttributes denied on another topic", lambda: user("sns").get_topic_attributes(TopicArn=s["topic"].replace("t1", "t2")), 403, "AuthorizationError", (f"SNS:GetTopicAttributes on resource: {s['topic'].replace('t1', 't2')}",))
    efs_arn = f"arn:aws:elasticfilesystem:{REGION}:{account}:file-system/{addons['efs_file_system']}"
    expect_error(
        "elasticfilesystem:DescribeMountTargets denied on a file system the grant does not name, naming its ARN",
        lambda: user("efs").describe_mount_targets(FileSystemId=addons["efs_file_system"]), 403, "AccessDeniedException", (efs_arn,),
    )
    status, code, message, _ = call(lambda: user("efs").describe_mount_targets(FileSystemId=EFS_GRANTED))
    report(code == "FileSystemNotFound", "elasticfilesystem:DescribeMountTargets on the granted file system ID: authorized, then FileSystemNotFound", f"{status} {code} {message}")
    pool_arn = f"arn:aws:cognito-idp:{REGION}:{account}:userpool/{addons['cognito_user_pool']}"
    expect_error(
        "cognito-idp:DescribeUserPoolClient denied on a user pool the grant does not name, naming its ARN (moto authorized against *)",
        lambda: user("cognito-idp").describe_user_pool_client(UserPoolId=addons["cognito_user_pool"], ClientId=addons["cognito_client"]),
        400, "AccessDeniedException", (pool_arn,),
    )
    status, code, message, _ = call(lambda: user("cognito-idp").describe_user_pool_client(UserPoolId=COGNITO_GRANTED, ClientId=addons["cognito_client"]))
    report(code == "ResourceNotFoundException", "cognito-idp:DescribeUserPoolClient on the granted pool ID: authorized, then ResourceNotFoundException", f"{status} {code} {message}")
    protection_arn = f"arn:aws:shield::{account}:protection/{addons['shield_protection']}"
    for how, kwargs in (("its ID", {"ProtectionId": addons["shield_protection"]}), ("the load balancer's ARN", {"ResourceArn": addons["load_balancer_arn"]})):
        expect_error(
            f"shield:DescribeProtection by {how} denied on a protection the grant does not name, naming its ARN (moto authorized against *)",
            lambda kwargs=kwargs: user("shield").describe_protection(**kwargs), 400, "AccessDeniedException", (protection_arn,),
        )
    status, code, message, _ = call(lambda: user("shield").describe_protection(ProtectionId=SHIELD_GRANTED))
    report(code == "ResourceNotFoundException", "shield:DescribeProtection on the granted protection ID: authorized, then ResourceNotFoundException", f"{status} {code} {message}")
    tg = f"arn:aws:elasticloadbalancing:{REGION}:{account}:targetgroup/%s/0123456789abcdef"
    status, code, message, _ = call(lambda: user("elbv2").delete_target_group(TargetGroupArn=tg % "tg-a"))
    report(code not in ("AccessDenied",), "elasticloadbalancing:DeleteTargetGroup allowed on the granted target group ARN", f"{status} {code} {message}")
    expect_error("elasticloadbalancing:DeleteTargetGroup denied on another", lambda: user("elbv2").delete_target_group(TargetGroupArn=tg % "tg-b"), 403, "AccessDenied", (tg % "tg-b",))

    print("# elbv2: conditions on the named resource's own tags (aws:ResourceTag)")
    untag = lambda arn: lambda: user("elbv2").remove_tags(ResourceArns=[arn], TagKeys=["irsa-verify-probe-fidelity"])  # noqa: E731
    for what, tagged, untagged in (
        ("load balancer", addons["lbc_load_balancer_arn"], addons["load_balancer_arn"]),
        ("target group", addons["lbc_target_group_arn"], addons["target_group_arn"]),
        ("listener", addons["lbc_listener_arn"], addons["http_listener_arn"]),
    ):
        expect_ok(f"elasticloadbalancing:RemoveTags allowed on the {what} tagged elbv2.k8s.aws/cluster (Null false)", untag(tagged))
        expect_error(
            f"elasticloadbalancing:RemoveTags denied on the untagged {what}, naming its ARN (moto left the condition unevaluated)",
            untag(untagged), 403, "AccessDenied", (f"elasticloadbalancing:RemoveTags on resource: {untagged} {implicit}",),
        )
    expect_error(
        "elasticloadbalancing:RemoveTags of the tagged and the untagged load balancer: denied, naming the untagged one",
        lambda: user("elbv2").remove_tags(ResourceArns=[addons["lbc_load_balancer_arn"], addons["load_balancer_arn"]], TagKeys=["irsa-verify-probe-fidelity"]),
        403, "AccessDenied", (addons["load_balancer_arn"],),
    )
    made_up = f"arn:aws:elasticloadbalancing:{REGION}:{account}:loadbalancer/app/irsa-verify-probe/0123456789abcdef"
    expect_error(
        "elasticloadbalancing:DeleteLoadBalancer denied on a made-up ARN under the tag condition: it carries no tag (moto answered 200)",
        lambda: user("elbv2").delete_load_balancer(LoadBalancerArn=made_up), 403, "AccessDenied", (made_up,),
    )

    print("# elbv2 writes answered as the API reference documents, changing nothing")
    elb = admin("elbv2")
    listener, rule, group = addons["listener_arn"], addons["rule_arn"], addons["target_group_arn"]
    rules = lambda: elb.describe_rules(ListenerArn=listener)["Rules"]  # noqa: E731
    certificates = lambda: elb.describe_listener_certificates(ListenerArn=listener)["Certificates"]  # noqa: E731
    listeners = lambda: elb.describe_listeners(ListenerArns=[listener])["Listeners"]  # noqa: E731
    tags = lambda: elb.describe_tags(ResourceArns=[listener])["TagDescriptions"]  # noqa: E731
    groups = lambda: elb.describe_target_groups(TargetGroupArns=[group])["TargetGroups"]  # noqa: E731
    balancer = addons["load_balancer_arn"]
    balancers = lambda: elb.describe_load_balancers(LoadBalancerArns=[balancer])["LoadBalancers"]  # noqa: E731
    was = (rules(), certificates(), listeners(), tags(), groups(), balancers())
    expect_ok("elbv2 ModifyRule naming only the rule: 200 (moto answered ValidationError)", lambda: elb.modify_rule(RuleArn=rule))
    expect_ok(
        "elbv2 ModifyTargetGroup writing back HealthCheckEnabled as described: 200",
        lambda: elb.modify_target_group(TargetGroupArn=group, HealthCheckEnabled=was[4][0]["HealthCheckEnabled"]),
    )
    own = next(r for r in was[0] if r["RuleArn"] == rule)["Priority"]
    expect_ok(
        "elbv2 SetRulePriorities giving a rule back its own priority: 200 (moto answered PriorityInUse)",
        lambda: elb.set_rule_priorities(RulePriorities=[{"RuleArn": rule, "Priority": int(own)}]),
    )
    taken = next(r for r in was[0] if r["RuleArn"] != rule and not r["IsDefault"])["Priority"]
    expect_error(
        "elbv2 SetRulePriorities giving a rule another rule's priority: PriorityInUse",
        lambda: elb.set_rule_priorities(RulePriorities=[{"RuleArn": rule, "Priority": int(taken)}]), 400, "PriorityInUse",
    )
    expect_ok(
        "elbv2 SetIpAddressType writing back the load balancer's IpAddressType: 200",
        lambda: elb.set_ip_address_type(LoadBalancerArn=balancer, IpAddressType=was[5][0]["IpAddressType"]),
    )
    expect_error(
        "elbv2 ModifyRule naming only a rule that does not exist: RuleNotFound",
        lambda: elb.modify_rule(RuleArn=rule.rsplit("/", 1)[0] + "/0000000000000000"), 400, "RuleNotFound",
    )
    expect_ok("elbv2 ModifyListener naming only the listener: 200", lambda: elb.modify_listener(ListenerArn=listener))
    expect_ok(
        "elbv2 AddListenerCertificates of a certificate already in the list: 200",
        lambda: elb.add_listener_certificates(ListenerArn=listener, Certificates=[{"CertificateArn": addons["listener_certificate_arn"]}]),
    )
    expect_ok(
        "elbv2 RemoveListenerCertificates of a certificate the HTTPS listener's list does not hold: 200",
        lambda: elb.remove_listener_certificates(
            ListenerArn=listener,
            Certificates=[{"CertificateArn": f"arn:aws:acm:{REGION}:{account}:certificate/01234567-89ab-4def-8123-456789abcdef"}],
        ),
    )
    expect_ok(
        "elbv2 DeregisterTargets of an instance that does not exist: 200 (moto answered InvalidTarget)",
        lambda: elb.deregister_targets(TargetGroupArn=group, Targets=[{"Id": "i-0" + "f" * 16}]),
    )
    expect_ok(
        "elbv2 AddTags writing back a tag the listener carries, with its value: 200",
        lambda: elb.add_tags(ResourceArns=[listener], Tags=[{"Key": addons["listener_tag_key"], "Value": addons["listener_tag_value"]}]),
    )
    expect_ok(
        "elbv2 RemoveTags of a key neither the listener nor its rule carries: 200",
        lambda: elb.remove_tags(ResourceArns=[listener, rule], TagKeys=["irsa-verify-probe-fidelity"]),
    )
    on_balancer = lambda: elb.describe_listeners(LoadBalancerArn=balancer)["Listeners"]  # noqa: E731
    had = on_balancer()
    https = next(x for x in had if x["ListenerArn"] == listener)
    assert [c["CertificateArn"] for c in https["Certificates"]] == [certificates()[0]["CertificateArn"]], "DescribeListeners lists the default certificate only"
    assert "SslPolicy" not in next(x for x in had if x["Protocol"] == "HTTP"), "DescribeListeners lists no SslPolicy for HTTP"
    same = {k: https[k] for k in ("Port", "Protocol", "SslPolicy", "Certificates", "DefaultActions")}
    answered = []
    status, code, message, _ = call(lambda: answered.append(elb.create_listener(LoadBalancerArn=balancer, **same)) or {})
    named = answered[0]["Listeners"][0]["ListenerArn"] if answered else None
    report(
        code is None and named == listener,
        "elbv2 CreateListener with every setting of a listener the load balancer has: 200, naming that listener (moto added a second one on the port)",
        f"{status} {code} {message} {named}",
    )
    fixed = [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}]
    expect_error(
        "elbv2 CreateListener on a port that has a listener, with another default action: DuplicateListener",
        lambda: elb.create_listener(LoadBalancerArn=balancer, **dict(same, DefaultActions=fixed)), 400, "DuplicateListener",
    )
    report(on_balancer() == had, "elbv2 the load balancer's listeners unchanged by both CreateListener calls", _first_difference(had, on_balancer()))
    made_up_lb = f"arn:aws:elasticloadbalancing:{REGION}:{account}:loadbalancer/app/irsa-verify-probe/0000000000000000"
    expect_error(
        "elbv2 CreateListener on a load balancer that does not exist: LoadBalancerNotFound, nothing built (snapshot-all below)",
        lambda: elb.create_listener(LoadBalancerArn=made_up_lb, Protocol="HTTP", Port=1, DefaultActions=fixed), 400, "LoadBalancerNotFound",
    )
    expect_error(
        "elbv2 CreateRule on a listener that does not exist: ListenerNotFound, nothing built (snapshot-all below)",
        lambda: elb.create_rule(
            ListenerArn=made_up_lb.replace(":loadbalancer/", ":listener/") + "/0000000000000000", Priority=50000, Actions=fixed,
            Conditions=[{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/irsa-verify-probe"]}}],
        ),
        400, "ListenerNotFound",
    )
    now = (rules(), certificates(), listeners(), tags(), groups(), balancers())
    report(now[0] == was[0], "elbv2 the rules unchanged by ModifyRule and SetRulePriorities", _first_difference(was[0], now[0]))
    report(now[1] == was[1], "elbv2 the certificate list unchanged: not added again (moto appended it), nothing removed", _first_difference(was[1], now[1]))
    report(now[2] == was[2], "elbv2 the listener unchanged by ModifyListener", _first_difference(was[2], now[2]))
    report(now[3] == was[3] and was[3][0]["Tags"], "elbv2 the listener's tags unchanged by AddTags writing one back", _first_difference(was[3], now[3]))
    report(now[4] == was[4], "elbv2 the target group unchanged by ModifyTargetGroup writing HealthCheckEnabled back", _first_difference(was[4], now[4]))
    report(now[5] == was[5], "elbv2 the load balancer unchanged by SetIpAddressType writing its type back", _first_difference(was[5], now[5]))
    granted = f"arn:aws:elasticloadbalancing:{REGION}:{account}:listener-rule/app/irsa-verify-granted/0000000000000000/0000000000000000/0000000000000000"
    other = granted.replace("irsa-verify-granted", "irsa-verify-other")
    priority = lambda arn: lambda: user("elbv2").set_rule_priorities(RulePriorities=[{"RuleArn": arn, "Priority": 50000}])  # noqa: E731
    status, code, message, _ = call(priority(granted))
    report(code == "RuleNotFound", "elbv2 SetRulePriorities authorized on the granted rule's ARN (then RuleNotFound)", f"{status} {code} {message}")
    expect_error(
        "elbv2 SetRulePriorities denied on another rule, naming its ARN (moto authorized against *, which no grant on rules matches)",
        priority(other), 403, "AccessDenied", (f"elasticloadbalancing:SetRulePriorities on resource: {other}",),
    )

    print("# the probe catalogue: every row beyond S3, DynamoDB and IMDS, as irsa-verify sends it")
    check_catalogue_rows(endpoint, iam, addons, s, catalogue)

    print("# snapshot-all")
    after = scenario.snapshot_all(endpoint)
    report(before == after, "snapshot-all unchanged by the probes above (reads, denials, DryRuns)", _first_difference(before, after))
    print("# autoscaling (writes, so after the snapshot)")
    expect_ok("autoscaling:SetDesiredCapacity allowed on the granted group (its real ARN matched)", lambda: user("autoscaling").set_desired_capacity(AutoScalingGroupName="asg-a", DesiredCapacity=0))
    expect_error("autoscaling:SetDesiredCapacity denied on another group, naming its real ARN", lambda: user("autoscaling").set_desired_capacity(AutoScalingGroupName="asg-b", DesiredCapacity=0), 403, "AccessDenied", (s["asg_b_arn"],))

    admin("ssm").put_parameter(Name="/app/a", Value="changed", Type="String", Overwrite=True)
    admin("secretsmanager").delete_secret(SecretId="sec-b", ForceDeleteWithoutRecovery=True)
    changed = scenario.snapshot_all(endpoint)
    report(changed["live"] != after["live"] and "sec-b" not in json.dumps(changed["live"], default=str), "snapshot-all shows a changed parameter and a deleted secret", _first_difference(after, changed))

    failed = results.count(False)
    print(f"# {len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


def check_trust_policies(endpoint, iam, admin, role, account, second):
    """sts:AssumeRole needs the target role's trust policy (fidelity.py
    trust_allows): a principal naming the caller's user or role ARN, its
    account's root or bare ID allows; anything else, a Deny naming it, or a
    role that does not exist is AWS's AccessDenied naming no policy type;
    a role in another account is judged by its own trust policy, and its
    session acts in that account. The caller's identity policy is checked
    first, its refusal keeping the identity-based clause."""
    admin_arn = f"arn:aws:iam::{account}:user/{scenario.ADMIN}"

    def trusting(name, *statements, client=iam):
        doc = {"Version": "2012-10-17", "Statement": list(statements)}
        return client.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(doc))["Role"]["Arn"]

    def allow(principal):
        return {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}

    def assume(who, arn):
        return lambda: who("sts").assume_role(RoleArn=arn, RoleSessionName="irsa-verify-fidelity", DurationSeconds=900)

    def refused(what, who, caller, arn):
        exact = f"User: {caller} is not authorized to perform: sts:AssumeRole on resource: {arn}"
        message = expect_error(what, assume(who, arn), 403, "AccessDenied", (exact,))
        report(message == exact, f"{what}: the message names no policy type", repr(message))

    by_root = trusting("fidelity-trust-root", allow(f"arn:aws:iam::{account}:root"))
    expect_ok("trust policy naming the account root allows a user of the account", assume(admin, by_root))
    by_id = trusting("fidelity-trust-account-id", allow(account))
    expect_ok("trust policy naming the bare account ID allows a user of the account", assume(admin, by_id))
    by_user = trusting("fidelity-trust-user", allow(admin_arn))
    expect_ok("trust policy naming the user's ARN allows that user", assume(admin, by_user))
    other = trusting("fidelity-trust-other", allow(f"arn:aws:iam::{account}:user/someone-else"))
    refused("trust policy naming someone else refuses the caller: 403 AccessDenied", admin, admin_arn, other)
    denying = trusting(
        "fidelity-trust-deny",
        allow(f"arn:aws:iam::{account}:root"),
        {"Effect": "Deny", "Principal": {"AWS": admin_arn}, "Action": "sts:AssumeRole"},
    )
    refused("a Deny naming the caller in the trust policy wins over the root's Allow", admin, admin_arn, denying)
    refused("a role that does not exist: the same AccessDenied", admin, admin_arn, f"arn:aws:iam::{account}:role/fidelity-no-such-role")

    # A role session is named by its role's ARN, path included.
    session = f"arn:aws:sts::{account}:assumed-role/{ROLE}/fidelity"
    iam.put_role_policy(
        RoleName=ROLE,
        PolicyName="assume",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": f"arn:aws:iam::{account}:role/fidelity-trust-*"}]}),
    )
    role_arn = iam.get_role(RoleName=ROLE)["Role"]["Arn"]
    by_role = trusting("fidelity-trust-role", allow(role_arn))
    expect_ok("trust policy naming the caller's role ARN allows the role's session", assume(role, by_role))
    refused("trust policy naming another principal refuses the role's session, naming the session", role, session, other)
    expect_error(
        "the caller's identity policy is checked first: its refusal keeps the identity-based clause",
        assume(role, by_root.replace("fidelity-trust-root", "fidelity-untrusted-elsewhere")),
        403, "AccessDenied", ("because no identity-based policy allows the sts:AssumeRole action",),
    )

    # Another account: the role is judged by its own trust policy, and its
    # session acts there.
    b = make_client(endpoint, second["key"], second["secret"])
    b_iam = b("iam")
    cross = trusting("fidelity-cross", allow(f"arn:aws:iam::{account}:root"), client=b_iam)
    status, code, message, _ = call(assume(admin, cross))
    report(status == 200 and code is None, "a role in another account whose trust policy names the caller's account: allowed", f"{status} {code} {message}")
    if status == 200:
        creds = admin("sts").assume_role(RoleArn=cross, RoleSessionName="irsa-verify-fidelity", DurationSeconds=900)["Credentials"]
        hop = make_client(endpoint, creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
        who = hop("sts").get_caller_identity()
        report(
            who["Account"] == second["account"] and who["Arn"] == f"arn:aws:sts::{second['account']}:assumed-role/fidelity-cross/irsa-verify-fidelity",
            "the session acts in the role's account",
            f"{who['Account']} {who['Arn']}",
        )
    cross_refusing = trusting("fidelity-cross-refusing", allow("arn:aws:iam::111111111111:root"), client=b_iam)
    refused("a role in another account whose trust policy names another account refuses", admin, admin_arn, cross_refusing)


def _first_difference(a, b, path=""):
    if type(a) is not type(b):
        return f"{path}: {str(a)[:80]} != {str(b)[:80]}"
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b), key=str):
            if a.get(k) != b.get(k):
                return _first_difference(a.get(k), b.get(k), f"{path}/{k}")
    elif isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} items != {len(b)} items"
        for i, (x, y) in enumerate(zip(a, b)):
            if x != y:
                return _first_difference(x, y, f"{path}[{i}]")
    elif a != b:
        return f"{path}: {str(a)[:80]} != {str(b)[:80]}"
    return ""


if __name__ == "__main__":
    sys.exit(main())
