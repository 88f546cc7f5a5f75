"""Seed and snapshot the emulator for irsa-verify's tests and demo.

  scenario.py bootstrap --endpoint URL        -> admin keys (JSON); turns IAM enforcement on
  scenario.py seed --endpoint URL --kind K --suffix S [--token-file F]   -> scenario (JSON)
  scenario.py snapshot --endpoint URL --bucket B --table T                -> data (JSON)

seed and snapshot use the admin keys from IRSA_TEST_ADMIN_KEY / IRSA_TEST_ADMIN_SECRET.
"""

import argparse
import base64
import json
import os
import sys
import time
import urllib.request

import boto3
from botocore.config import Config

REGION = "eu-west-1"
ADMIN = "irsa-verify-test-admin"

# The reference procedure's policy, verbatim but for the names.
REFERENCE_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "ListAndDescribe",
            "Effect": "Allow",
            "Action": ["dynamodb:List*", "dynamodb:Describe*"],
            "Resource": "arn:aws:dynamodb:*:*:table/YOUR_TABLE",
        },
        {"Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": "arn:aws:s3:::YOUR_BUCKET"},
        {
            "Sid": "List",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:GetObjectVersion"],
            "Resource": "arn:aws:s3:::YOUR_BUCKET/*",
        },
    ],
}

OVERPERMISSIVE_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": "dynamodb:*", "Resource": "arn:aws:dynamodb:*:*:table/YOUR_TABLE"},
        {"Effect": "Allow", "Action": "s3:*", "Resource": ["arn:aws:s3:::YOUR_BUCKET", "arn:aws:s3:::YOUR_BUCKET/*"]},
    ],
}

# The reference policy without its DynamoDB statement: the table is out of reach.
TOO_STRICT_POLICY = {
    "Version": "2012-10-17",
    "Statement": [s for s in REFERENCE_POLICY["Statement"] if s.get("Sid") != "ListAndDescribe"],
}

# The reference policy without s3:GetObject: a conditional write's 403 may be GetObject's.
LIST_ONLY_POLICY = {
    "Version": "2012-10-17",
    "Statement": [s for s in REFERENCE_POLICY["Statement"] if s.get("Sid") != "List"],
}

# kind -> (policy, deletion protection on the table)
KINDS = {
    "listonly": (LIST_ONLY_POLICY, True),
    "reference": (REFERENCE_POLICY, True),
    "overpermissive": (OVERPERMISSIVE_POLICY, True),
    "toostrict": (TOO_STRICT_POLICY, True),
    "unprotected": (REFERENCE_POLICY, False),
}

TRUST_POLICY_TEMPLATE = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Federated": "arn:aws:iam::ACCOUNT:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {"oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE:sub": "system:serviceaccount:NAMESPACE:SA"}},
        }
    ],
}

ISSUER = "https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"


def client(service, endpoint, key=None, secret=None):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=key or os.environ.get("IRSA_TEST_ADMIN_KEY", "testing"),
        aws_secret_access_key=secret or os.environ.get("IRSA_TEST_ADMIN_SECRET", "testing"),
        config=Config(retries={"max_attempts": 2}, s3={"addressing_style": "path"}),
    )


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def write_token(path, namespace, service_account, lifetime=86400, audience="sts.amazonaws.com"):
    """A JWT-shaped projected token like the EKS webhook mounts. The emulator
    does not verify it; the signature is filler."""
    now = int(time.time())
    header = {"alg": "RS256", "kid": "irsa-verify-test"}
    claims = {
        "aud": [audience],
        "exp": now + lifetime,
        "iat": now,
        "iss": ISSUER,
        "kubernetes.io": {
            "namespace": namespace,
            "pod": {"name": "irsa-verify-test", "uid": "00000000-0000-0000-0000-000000000001"},
            "serviceaccount": {"name": service_account, "uid": "00000000-0000-0000-0000-000000000002"},
        },
        "nbf": now,
        "sub": f"system:serviceaccount:{namespace}:{service_account}",
    }
    token = ".".join([b64url(json.dumps(header).encode()), b64url(json.dumps(claims).encode()), b64url(b"not-a-real-signature")])
    with open(path, "w") as f:
        f.write(token)


def bootstrap(endpoint):
    iam = client("iam", endpoint)
    iam.create_user(UserName=ADMIN)
    iam.put_user_policy(
        UserName=ADMIN,
        PolicyName="admin",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
    )
    key = iam.create_access_key(UserName=ADMIN)["AccessKey"]
    # text/plain: with a form content type Flask swallows the body.
    req = urllib.request.Request(f"{endpoint}/moto-api/reset-auth", data=b"0", method="POST", headers={"Content-Type": "text/plain"})
    urllib.request.urlopen(req, timeout=10).read()
    account = client("sts", endpoint, key["AccessKeyId"], key["SecretAccessKey"]).get_caller_identity()["Account"]
    return {"key": key["AccessKeyId"], "secret": key["SecretAccessKey"], "account": account}


def seed(endpoint, kind, suffix, token_file=None, namespace="demo", service_account="irsa-verify", policy_json=None):
    policy, protected = KINDS[kind]
    if policy_json:
        policy = json.loads(policy_json)
    bucket = f"irsa-{suffix}-bucket"
    table = f"irsa-{suffix}-table"
    role = f"irsa-{suffix}-role"
    iam, s3, ddb = client("iam", endpoint), client("s3", endpoint), client("dynamodb", endpoint)
    account = client("sts", endpoint).get_caller_identity()["Account"]

    trust = json.loads(
        json.dumps(TRUST_POLICY_TEMPLATE).replace("ACCOUNT", account).replace("NAMESPACE", namespace).replace(":SA", f":{service_account}")
    )
    role_arn = iam.create_role(RoleName=role, Path="/eks/", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    doc = json.dumps(policy).replace("YOUR_BUCKET", bucket).replace("YOUR_TABLE", table)
    policy_arn = iam.create_policy(PolicyName=f"{role}-policy", PolicyDocument=doc)["Policy"]["Arn"]
    iam.attach_role_policy(RoleName=role, PolicyArn=policy_arn)

    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket=bucket, Key="demo-test-file", Body=b"x" * 269)

    ddb.create_table(
        TableName=table,
        AttributeDefinitions=[{"AttributeName": "demo", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "demo", "KeyType": "HASH"}],
        ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
        DeletionProtectionEnabled=protected,
    )
    ddb.put_item(TableName=table, Item={"demo": {"S": "first"}, "note": {"S": "seeded by irsa-verify tests"}})

    if token_file:
        write_token(token_file, namespace, service_account)
    return {"account": account, "role_arn": role_arn, "role_name": role, "bucket": bucket, "table": table, "region": REGION}


def export(endpoint, role, directory):
    """The role's policies as the aws CLI prints them, one file each, as
    scripts/smoke-test.sh --from-role fetches them: inline policies
    (get-role-policy), attached ones at their default version
    (get-policy-version), and the trust policy (get-role)."""
    iam = client("iam", endpoint)
    os.makedirs(directory, exist_ok=True)
    files = []

    def write(name, obj):
        path = os.path.join(directory, name)
        with open(path, "w") as f:
            json.dump(obj, f, indent=2, default=str)
        files.append(path)

    for name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
        write(f"inline-{name}.json", iam.get_role_policy(RoleName=role, PolicyName=name))
    for attached in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]:
        version = iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]["DefaultVersionId"]
        out = iam.get_policy_version(PolicyArn=attached["PolicyArn"], VersionId=version)
        write(f"attached-{attached['PolicyName']}.json", {"PolicyVersion": out["PolicyVersion"]})
    trust_dir = os.path.join(directory, "..", os.path.basename(directory.rstrip("/")) + "-trust")
    os.makedirs(trust_dir, exist_ok=True)
    trust = os.path.join(trust_dir, "trust.json")
    with open(trust, "w") as f:
        json.dump({"Role": iam.get_role(RoleName=role)["Role"]}, f, indent=2, default=str)
    return {"policies": files, "trust": os.path.abspath(trust)}


def attach(endpoint, role, name, policy_json):
    """Attaches one more managed policy to the role."""
    iam = client("iam", endpoint)
    arn = iam.create_policy(PolicyName=name, PolicyDocument=policy_json)["Policy"]["Arn"]
    iam.attach_role_policy(RoleName=role, PolicyArn=arn)
    return {"policy_arn": arn}


def snapshot(endpoint, bucket, table):
    s3, ddb = client("s3", endpoint), client("dynamodb", endpoint)
    out = {}
    if bucket:
        versions = s3.list_object_versions(Bucket=bucket)
        out["versions"] = sorted(
            [{"key": v["Key"], "version": v["VersionId"], "etag": v["ETag"], "latest": v["IsLatest"], "size": v["Size"]} for v in versions.get("Versions", [])],
            key=lambda v: (v["key"], v["version"]),
        )
        out["delete_markers"] = sorted(
            [{"key": v["Key"], "version": v["VersionId"], "latest": v["IsLatest"]} for v in versions.get("DeleteMarkers", [])],
            key=lambda v: (v["key"], v["version"]),
        )
        out["objects"] = sorted(
            [{"key": o["Key"], "etag": o["ETag"], "size": o["Size"]} for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])],
            key=lambda o: o["key"],
        )
    if table:
        try:
            desc = ddb.describe_table(TableName=table)["Table"]
            out["table"] = {"status": desc["TableStatus"], "protected": desc.get("DeletionProtectionEnabled", False), "keys": desc["KeySchema"]}
            out["items"] = sorted(ddb.scan(TableName=table)["Items"], key=lambda i: json.dumps(i, sort_keys=True))
        except ddb.exceptions.ResourceNotFoundException:
            out["table"] = None
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("command", choices=["bootstrap", "seed", "snapshot", "token", "export", "attach"])
    p.add_argument("--role-name")
    p.add_argument("--dir")
    p.add_argument("--name")
    p.add_argument("--policy", help="a policy document (JSON); YOUR_BUCKET and YOUR_TABLE are replaced on seed")
    p.add_argument("--endpoint")
    p.add_argument("--kind", choices=sorted(KINDS), default="reference")
    p.add_argument("--suffix", default="demo")
    p.add_argument("--token-file")
    p.add_argument("--namespace", default="demo")
    p.add_argument("--service-account", default="irsa-verify")
    p.add_argument("--audience", default="sts.amazonaws.com")
    p.add_argument("--lifetime", type=int, default=86400, help="seconds until exp; negative for an expired token")
    p.add_argument("--bucket")
    p.add_argument("--table")
    a = p.parse_args()
    if a.command == "bootstrap":
        result = bootstrap(a.endpoint)
    elif a.command == "seed":
        result = seed(a.endpoint, a.kind, a.suffix, a.token_file, a.namespace, a.service_account, a.policy)
    elif a.command == "export":
        result = export(a.endpoint, a.role_name, a.dir)
    elif a.command == "attach":
        result = attach(a.endpoint, a.role_name, a.name, a.policy)
    elif a.command == "token":
        write_token(a.token_file, a.namespace, a.service_account, a.lifetime, a.audience)
        result = {"token_file": a.token_file}
    else:
        result = snapshot(a.endpoint, a.bucket, a.table)
    json.dump(result, sys.stdout, sort_keys=True, default=str)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
