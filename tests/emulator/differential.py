"""The differential test's side of the emulator (tests/differential.rs).

  differential.py seed --endpoint URL --role-name R --bucket B --table T   -> resources (JSON)
  differential.py serve --endpoint URL --role-name R                      (reads policies, one JSON a line)

seed creates, once, every resource the random policies name: two instances,
two volumes, the secrets prod/db and dev/api (their ARNs, with the random
suffix the emulator gave them, are read back), parameters under /app/ and
/other/, objects in the scenario's bucket; and detaches the scenario's own
managed policy from the role, so that only the policy under test applies.

serve replaces the role's one inline policy with each policy it reads (its
text as a JSON string on one line, put exactly as written) and answers "ok" (or "error: ..." when IAM
refuses the document) on a line of its own: one process for every policy,
not a Python start each.

Both use the admin keys from IRSA_TEST_ADMIN_KEY / IRSA_TEST_ADMIN_SECRET.
"""

import argparse
import json
import sys

from scenario import REGION, client

INLINE = "differential"
SECRETS = {"prod/db": "differential-prod-VALUE-never-printed", "dev/api": "differential-dev-VALUE-never-printed"}
PARAMETERS = {"/app/db": "String", "/app/cache/url": "String", "/other/token": "SecureString"}
OBJECTS = ["data.csv", "logs/app.log", "logs/2024/01.log", "public/index.html"]
LOG_GROUPS = ["differential-app", "differential-other"]


def seed(endpoint, role, bucket, table):
    iam, ec2, sm, ssm, s3 = (client(s, endpoint) for s in ("iam", "ec2", "secretsmanager", "ssm", "s3"))
    for attached in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]:
        iam.detach_role_policy(RoleName=role, PolicyArn=attached["PolicyArn"])
    for name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
        iam.delete_role_policy(RoleName=role, PolicyName=name)

    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    instances = []
    for n in range(2):
        # One at a time: the first created is the first DescribeInstances lists.
        instances.append(
            ec2.run_instances(
                ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro",
                TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": f"differential-{n}"}]}],
            )["Instances"][0]["InstanceId"]
        )
    volumes = [ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=1)["VolumeId"] for _ in range(2)]

    secrets = {}
    for name, value in SECRETS.items():
        secrets[name] = sm.create_secret(Name=name, SecretString=value)["ARN"]
    for name, kind in PARAMETERS.items():
        ssm.put_parameter(Name=name, Value=f"differential-{name}-VALUE-never-printed", Type=kind)
    for key in OBJECTS:
        s3.put_object(Bucket=bucket, Key=key, Body=b"differential")
    logs = client("logs", endpoint)
    for group in LOG_GROUPS:
        try:
            logs.create_log_group(logGroupName=group)
        except logs.exceptions.ResourceAlreadyExistsException:
            pass
    account = client("sts", endpoint).get_caller_identity()["Account"]
    return {
        "account": account,
        "region": REGION,
        "bucket": bucket,
        "table": table,
        "instances": instances,
        "volumes": volumes,
        "secrets": secrets,
        "parameters": sorted(PARAMETERS),
        "objects": OBJECTS,
    }


def serve(endpoint, role):
    iam = client("iam", endpoint)
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            # Each line is the document as a JSON string: its text exactly.
            iam.put_role_policy(RoleName=role, PolicyName=INLINE, PolicyDocument=json.loads(line))
            answer = "ok"
        except Exception as err:  # noqa: BLE001 - told to the test, which fails with it
            answer = "error: " + f"{type(err).__name__}: {err}".replace("\n", " ")
        print(answer, flush=True)
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("command", choices=["seed", "serve"])
    p.add_argument("--endpoint", required=True)
    p.add_argument("--role-name", required=True)
    p.add_argument("--bucket")
    p.add_argument("--table")
    a = p.parse_args()
    if a.command == "seed":
        json.dump(seed(a.endpoint, a.role_name, a.bucket, a.table), sys.stdout, sort_keys=True)
        print()
        return 0
    return serve(a.endpoint, a.role_name)


if __name__ == "__main__":
    sys.exit(main())
