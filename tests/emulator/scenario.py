"""Seed and snapshot the emulator for irsa-verify's tests and demo.

  scenario.py bootstrap --endpoint URL        -> admin keys (JSON); turns IAM enforcement on
  scenario.py seed --endpoint URL --kind K --suffix S [--token-file F]   -> scenario (JSON)
  scenario.py snapshot --endpoint URL --bucket B --table T                -> data (JSON)
  scenario.py snapshot-all --endpoint URL [--no-live]                       -> all data (JSON)
  scenario.py seed-addons --endpoint URL                                   -> add-on resources (JSON)
  scenario.py attach|detach --endpoint URL --role-name R --name N [--policy JSON]  -> the policy's ARN (JSON)
  scenario.py second-role --endpoint URL --role-name R --trust PRINCIPAL --policy JSON   -> the role's ARN (JSON)

seed, seed-addons, snapshot and snapshot-all use the admin keys from IRSA_TEST_ADMIN_KEY / IRSA_TEST_ADMIN_SECRET;
second-role the second account's, from IRSA_TEST_SECOND_KEY / IRSA_TEST_SECOND_SECRET.
"""

import argparse
import base64
import hashlib
import json
import os
import sys
import time
import urllib.request

import boto3
from botocore.config import Config

REGION = "eu-west-1"
ADMIN = "irsa-verify-test-admin"
# A second AWS account, for role chains across accounts. moto derives the
# account of a request from its credentials: the admin bootstrap makes here
# acts in it, and so does every session of a role assumed in it.
SECOND_ACCOUNT = "222233334444"

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


def client(service, endpoint, key=None, secret=None, region=REGION):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=region,
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


def _admin_user(iam):
    iam.create_user(UserName=ADMIN)
    iam.put_user_policy(
        UserName=ADMIN,
        PolicyName="admin",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
    )
    return iam.create_access_key(UserName=ADMIN)["AccessKey"]


def bootstrap(endpoint):
    key = _admin_user(client("iam", endpoint))
    # The second account's admin, made while enforcement is still off: moto
    # then serves the account a request names in x-moto-account-id. From then
    # on the account comes from the credentials, so these keys act in
    # SECOND_ACCOUNT.
    iam_b = client("iam", endpoint)
    iam_b.meta.events.register("before-sign.*.*", lambda request, **_: request.headers.add_header("x-moto-account-id", SECOND_ACCOUNT))
    key_b = _admin_user(iam_b)
    # text/plain: with a form content type Flask swallows the body.
    req = urllib.request.Request(f"{endpoint}/moto-api/reset-auth", data=b"0", method="POST", headers={"Content-Type": "text/plain"})
    urllib.request.urlopen(req, timeout=10).read()
    account = client("sts", endpoint, key["AccessKeyId"], key["SecretAccessKey"]).get_caller_identity()["Account"]
    second = client("sts", endpoint, key_b["AccessKeyId"], key_b["SecretAccessKey"]).get_caller_identity()["Account"]
    if second != SECOND_ACCOUNT:
        raise SystemExit(f"the second account's admin acts in {second}, not {SECOND_ACCOUNT}")
    return {
        "key": key["AccessKeyId"],
        "secret": key["SecretAccessKey"],
        "account": account,
        "second": {"account": second, "key": key_b["AccessKeyId"], "secret": key_b["SecretAccessKey"]},
    }


def second_role(endpoint, role, trust_principal, policy_json):
    """A role in SECOND_ACCOUNT whose trust policy lets `trust_principal`
    (a role ARN, an account's root ARN) sts:AssumeRole, with `policy_json`
    inline; made with the second account's admin keys."""
    iam = client("iam", endpoint, os.environ["IRSA_TEST_SECOND_KEY"], os.environ["IRSA_TEST_SECOND_SECRET"])
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": trust_principal}, "Action": "sts:AssumeRole"}]}
    arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    iam.put_role_policy(RoleName=role, PolicyName="inline", PolicyDocument=policy_json)
    return {"role_arn": arn, "account": SECOND_ACCOUNT}


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


# seed-addons: what the EKS add-on policies (tests/fixtures/addons) name, so
# every check derived from them finds a real resource. Everything is found by
# its name (or Name tag) before it is created: a second run creates nothing.
ADDON = "irsa-addons"
ADDON_ZONE = "addons.irsa-verify.test."
ADDON_RECORD = "_acme-challenge.addons.irsa-verify.test."
ADDON_SECRET = "dev"
ADDON_SECRET_VALUE = "addon-secret-VALUE-never-printed"
ADDON_CERT_DOMAIN = "addons.irsa-verify.test"


def _self_signed(common_name):
    """A throwaway self-signed certificate and its key (PEM bytes)."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(common_name)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    pem_key = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption())
    return cert.public_bytes(serialization.Encoding.PEM), pem_key


def _tagged(name):
    return [{"Key": "Name", "Value": name}]


def seed_addons(endpoint):
    """Creates, once, in REGION: an instance, a volume and its snapshot, a
    security group in the default VPC, a launch template, an ALB with a
    target group, an HTTPS listener (a rule besides the default one, the ACM
    certificate as default and the IAM server certificate in its list) and
    an HTTP one, an Auto Scaling group, an EKS cluster with a nodegroup, a
    hosted zone with a TXT record, the secret `dev`, an ACM certificate, an
    IAM server certificate, an instance profile, a queue named for the
    cluster (Karpenter's interruption queue) and an EFS file system (the EFS
    CSI driver's). Returns their names; the instance's network interface and
    attachment too."""
    ec2, elb, asg = client("ec2", endpoint), client("elbv2", endpoint), client("autoscaling", endpoint)
    account = client("sts", endpoint).get_caller_identity()["Account"]
    out = {"account": account, "region": REGION}

    def by_name(resources, key):
        for r in resources:
            if {"Key": "Name", "Value": key} in (r.get("Tags") or []):
                return r
        return None

    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    subnets = sorted(ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"], key=lambda s: s["AvailabilityZone"])
    zone_subnets = {}
    for s in subnets:
        zone_subnets.setdefault(s["AvailabilityZone"], s["SubnetId"])
    subnet_ids = list(zone_subnets.values())[:2]
    out.update(vpc=vpc, subnets=subnet_ids)

    live = [{"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped"]}]
    found = by_name([i for r in ec2.describe_instances(Filters=live)["Reservations"] for i in r["Instances"]], f"{ADDON}-node")
    if found is None:
        image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
        found = ec2.run_instances(
            ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro", SubnetId=subnet_ids[0],
            TagSpecifications=[{"ResourceType": "instance", "Tags": _tagged(f"{ADDON}-node")}],
        )["Instances"][0]
    out["instance"] = found["InstanceId"]
    out["image"] = found["ImageId"]

    found = by_name(ec2.describe_volumes()["Volumes"], f"{ADDON}-volume")
    if found is None:
        found = ec2.create_volume(
            AvailabilityZone=f"{REGION}a", Size=1, VolumeType="gp3",
            TagSpecifications=[{"ResourceType": "volume", "Tags": _tagged(f"{ADDON}-volume")}],
        )
    out["volume"] = found["VolumeId"]

    found = by_name(ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"], f"{ADDON}-snapshot")
    if found is None:
        found = ec2.create_snapshot(
            VolumeId=out["volume"], Description=f"{ADDON} snapshot",
            TagSpecifications=[{"ResourceType": "snapshot", "Tags": _tagged(f"{ADDON}-snapshot")}],
        )
    out["snapshot"] = found["SnapshotId"]

    groups = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "group-name", "Values": [f"{ADDON}-sg"]}])["SecurityGroups"]
    if groups:
        out["security_group"] = groups[0]["GroupId"]
    else:
        out["security_group"] = ec2.create_security_group(GroupName=f"{ADDON}-sg", Description=f"{ADDON} security group", VpcId=vpc)["GroupId"]

    templates = ec2.describe_launch_templates(Filters=[{"Name": "launch-template-name", "Values": [f"{ADDON}-lt"]}])["LaunchTemplates"]
    if templates:
        out["launch_template"] = templates[0]["LaunchTemplateId"]
    else:
        out["launch_template"] = ec2.create_launch_template(
            LaunchTemplateName=f"{ADDON}-lt",
            LaunchTemplateData={"ImageId": out["image"], "InstanceType": "t3.micro", "SecurityGroupIds": [out["security_group"]]},
        )["LaunchTemplate"]["LaunchTemplateId"]
    out["launch_template_name"] = f"{ADDON}-lt"

    try:
        lb = elb.describe_load_balancers(Names=[f"{ADDON}-alb"])["LoadBalancers"][0]
    except elb.exceptions.LoadBalancerNotFoundException:
        lb = elb.create_load_balancer(
            Name=f"{ADDON}-alb", Subnets=subnet_ids, SecurityGroups=[out["security_group"]], Scheme="internal", Type="application",
        )["LoadBalancers"][0]
    out["load_balancer_arn"] = lb["LoadBalancerArn"]
    try:
        tg = elb.describe_target_groups(Names=[f"{ADDON}-tg"])["TargetGroups"][0]
    except elb.exceptions.TargetGroupNotFoundException:
        tg = elb.create_target_group(Name=f"{ADDON}-tg", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="instance")["TargetGroups"][0]
    out["target_group_arn"] = tg["TargetGroupArn"]
    if not asg.describe_auto_scaling_groups(AutoScalingGroupNames=[f"{ADDON}-asg"])["AutoScalingGroups"]:
        asg.create_auto_scaling_group(
            AutoScalingGroupName=f"{ADDON}-asg", MinSize=0, MaxSize=1, DesiredCapacity=0,
            LaunchTemplate={"LaunchTemplateId": out["launch_template"], "Version": "$Latest"},
            VPCZoneIdentifier=",".join(subnet_ids),
        )
    out["autoscaling_group"] = f"{ADDON}-asg"

    eks = client("eks", endpoint)
    cluster, nodegroup = f"{ADDON}-cluster", f"{ADDON}-nodegroup"
    if cluster not in eks.list_clusters()["clusters"]:
        eks.create_cluster(
            name=cluster, roleArn=f"arn:aws:iam::{account}:role/{ADDON}-cluster",
            resourcesVpcConfig={"subnetIds": subnet_ids, "securityGroupIds": [out["security_group"]]},
        )
    if nodegroup not in eks.list_nodegroups(clusterName=cluster)["nodegroups"]:
        eks.create_nodegroup(
            clusterName=cluster, nodegroupName=nodegroup, subnets=subnet_ids, nodeRole=f"arn:aws:iam::{account}:role/{ADDON}-node",
            scalingConfig={"minSize": 0, "maxSize": 1, "desiredSize": 0},
        )
    # The Auto Scaling group EKS makes for a managed node group (moto's
    # create_nodegroup makes none), named and tagged as EKS does it
    # ("eks-*", eks:cluster-name, eks:nodegroup-name): a role that may not
    # list clusters (the cluster autoscaler's) finds the node group by it.
    ng_asg = f"eks-{nodegroup}-8ec1a2b3-0000-4000-8000-000000000000"
    if not asg.describe_auto_scaling_groups(AutoScalingGroupNames=[ng_asg])["AutoScalingGroups"]:
        asg.create_auto_scaling_group(
            AutoScalingGroupName=ng_asg, MinSize=0, MaxSize=1, DesiredCapacity=0,
            LaunchTemplate={"LaunchTemplateId": out["launch_template"], "Version": "$Latest"},
            VPCZoneIdentifier=",".join(subnet_ids),
            Tags=[
                {"ResourceId": ng_asg, "ResourceType": "auto-scaling-group", "Key": key, "Value": value, "PropagateAtLaunch": True}
                for key, value in (("eks:cluster-name", cluster), ("eks:nodegroup-name", nodegroup))
            ],
        )
    # A customer-owned IP pool (an Outposts feature, which moto lacks: the
    # emulator's stand-in holds it), for ec2:GetCoipPoolUsage to read.
    pools = ec2.describe_coip_pools()["CoipPools"]
    if not pools:
        pools = [ec2.create_coip_pool(LocalGatewayRouteTableId="lgw-rtb-0123456789abcdef0")["CoipPool"]]
    out["coip_pool"] = pools[0]["PoolId"]
    out["eks_cluster"] = cluster
    out["eks_nodegroup"] = nodegroup
    out["eks_nodegroup_autoscaling_group"] = ng_asg
    out["eks_nodegroup_arn"] = eks.describe_nodegroup(clusterName=cluster, nodegroupName=nodegroup)["nodegroup"]["nodegroupArn"]

    r53 = client("route53", endpoint)
    zones = [z for z in r53.list_hosted_zones_by_name(DNSName=ADDON_ZONE)["HostedZones"] if z["Name"] == ADDON_ZONE]
    if zones:
        zone = zones[0]["Id"]
    else:
        zone = r53.create_hosted_zone(Name=ADDON_ZONE, CallerReference=f"{ADDON}-zone")["HostedZone"]["Id"]
    zone = zone.split("/")[-1]
    records = r53.list_resource_record_sets(HostedZoneId=zone, StartRecordName=ADDON_RECORD, StartRecordType="TXT")["ResourceRecordSets"]
    if not any(r["Name"] == ADDON_RECORD and r["Type"] == "TXT" for r in records):
        r53.change_resource_record_sets(
            HostedZoneId=zone,
            ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": {
                "Name": ADDON_RECORD, "Type": "TXT", "TTL": 60, "ResourceRecords": [{"Value": '"irsa-verify seeded"'}]}}]},
        )
    # A change that leaves the zone as it is (the TXT record deleted and
    # created again as listed, one batch), for GetChange to name.
    txt = [r for r in r53.list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"] if r["Type"] == "TXT"][0]
    change = r53.change_resource_record_sets(
        HostedZoneId=zone,
        ChangeBatch={"Changes": [{"Action": "DELETE", "ResourceRecordSet": txt}, {"Action": "CREATE", "ResourceRecordSet": txt}]},
    )["ChangeInfo"]["Id"].split("/")[-1]
    out.update(hosted_zone=zone, hosted_zone_name=ADDON_ZONE, txt_record=ADDON_RECORD, route53_change=change)

    sm = client("secretsmanager", endpoint)
    try:
        out["secret_arn"] = sm.describe_secret(SecretId=ADDON_SECRET)["ARN"]
    except sm.exceptions.ResourceNotFoundException:
        out["secret_arn"] = sm.create_secret(Name=ADDON_SECRET, SecretString=ADDON_SECRET_VALUE)["ARN"]
    out["secret"] = ADDON_SECRET

    acm = client("acm", endpoint)
    certs = [c for c in _pages(acm, "list_certificates", "CertificateSummaryList") if c.get("DomainName") == ADDON_CERT_DOMAIN]
    if certs:
        out["certificate_arn"] = certs[0]["CertificateArn"]
    else:
        body, key = _self_signed(ADDON_CERT_DOMAIN)
        out["certificate_arn"] = acm.import_certificate(Certificate=body, PrivateKey=key, Tags=[{"Key": "Name", "Value": f"{ADDON}-certificate"}])["CertificateArn"]

    iam = client("iam", endpoint)
    name = f"{ADDON}-server-certificate"
    try:
        meta = iam.get_server_certificate(ServerCertificateName=name)["ServerCertificate"]["ServerCertificateMetadata"]
    except iam.exceptions.NoSuchEntityException:
        body, key = _self_signed(ADDON_CERT_DOMAIN)
        meta = iam.upload_server_certificate(ServerCertificateName=name, CertificateBody=body.decode(), PrivateKey=key.decode())["ServerCertificateMetadata"]
    out["server_certificate"] = name
    out["server_certificate_arn"] = meta["Arn"]

    # The load balancer's listeners, once the certificates exist: HTTPS
    # first (the listener a probe finds first), with the ACM certificate as
    # its default, the IAM server certificate in its certificate list and a
    # rule besides the default one; then HTTP.
    lb_arn = out["load_balancer_arn"]
    forward = [{"Type": "forward", "TargetGroupArn": out["target_group_arn"]}]
    by_port = {l["Port"]: l for l in elb.describe_listeners(LoadBalancerArn=lb_arn)["Listeners"]}
    if 443 not in by_port:
        by_port[443] = elb.create_listener(
            LoadBalancerArn=lb_arn, Protocol="HTTPS", Port=443, SslPolicy="ELBSecurityPolicy-2016-08",
            Certificates=[{"CertificateArn": out["certificate_arn"]}], DefaultActions=forward,
        )["Listeners"][0]
    if 80 not in by_port:
        by_port[80] = elb.create_listener(LoadBalancerArn=lb_arn, Protocol="HTTP", Port=80, DefaultActions=forward)["Listeners"][0]
    https = by_port[443]["ListenerArn"]
    listed = elb.describe_listener_certificates(ListenerArn=https)["Certificates"]
    if not any(c["CertificateArn"] == meta["Arn"] and not c.get("IsDefault") for c in listed):
        elb.add_listener_certificates(ListenerArn=https, Certificates=[{"CertificateArn": meta["Arn"]}])
    rules = [r for r in elb.describe_rules(ListenerArn=https)["Rules"] if not r["IsDefault"]]
    if not rules:
        rules = elb.create_rule(
            ListenerArn=https, Priority=10, Actions=forward,
            Conditions=[{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/irsa-verify-seeded/*"]}}],
        )["Rules"]
    # An Ingress authenticated by Amazon Cognito: a user pool and its app
    # client, named by an authenticate-cognito action of a second rule (the
    # controller describes the client to build that action).
    idp = client("cognito-idp", endpoint)
    pools = [p for p in idp.list_user_pools(MaxResults=60)["UserPools"] if p["Name"] == f"{ADDON}-users"]
    pool = pools[0]["Id"] if pools else idp.create_user_pool(PoolName=f"{ADDON}-users")["UserPool"]["Id"]
    clients = idp.list_user_pool_clients(UserPoolId=pool)["UserPoolClients"]
    app = clients[0]["ClientId"] if clients else idp.create_user_pool_client(
        UserPoolId=pool, ClientName=f"{ADDON}-alb", GenerateSecret=True,
    )["UserPoolClient"]["ClientId"]
    pool_arn = idp.describe_user_pool(UserPoolId=pool)["UserPool"]["Arn"]
    if not any(
        a.get("Type") == "authenticate-cognito" for r in elb.describe_rules(ListenerArn=https)["Rules"] for a in r["Actions"]
    ):
        elb.create_rule(
            ListenerArn=https, Priority=20,
            Actions=[
                {"Type": "authenticate-cognito", "Order": 1, "AuthenticateCognitoConfig": {
                    "UserPoolArn": pool_arn, "UserPoolClientId": app, "UserPoolDomain": f"{ADDON}-auth"}},
                {"Type": "forward", "Order": 2, "TargetGroupArn": out["target_group_arn"]},
            ],
            Conditions=[{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/irsa-verify-signed-in/*"]}}],
        )
    out.update(cognito_user_pool=pool, cognito_client=app)
    # The controller tags the listeners it makes with its stack: the tag the
    # AddTags probe writes back as it reads it.
    stack = {"Key": "ingress.k8s.aws/stack", "Value": f"{ADDON}/web"}
    elb.add_tags(ResourceArns=[https], Tags=[stack])
    out.update(
        listener_arn=https, http_listener_arn=by_port[80]["ListenerArn"], rule_arn=rules[0]["RuleArn"],
        listener_certificate_arn=meta["Arn"], listener_tag_key=stack["Key"], listener_tag_value=stack["Value"],
    )

    # A regional web ACL protecting the load balancer, as the controller
    # associates one from an Ingress annotation.
    waf = client("wafv2", endpoint)
    acls = [a for a in waf.list_web_acls(Scope="REGIONAL")["WebACLs"] if a["Name"] == f"{ADDON}-web-acl"]
    if acls:
        web_acl = acls[0]["ARN"]
    else:
        web_acl = waf.create_web_acl(
            Name=f"{ADDON}-web-acl", Scope="REGIONAL", DefaultAction={"Allow": {}},
            VisibilityConfig={"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False, "MetricName": f"{ADDON}-web-acl"},
        )["Summary"]["ARN"]
        waf.associate_web_acl(WebACLArn=web_acl, ResourceArn=out["load_balancer_arn"])
    out["web_acl"] = web_acl
    # A Shield Advanced protection of the load balancer, as the controller
    # creates one from an Ingress annotation.
    shield = client("shield", endpoint)
    try:
        protection = shield.describe_protection(ResourceArn=out["load_balancer_arn"])["Protection"]["Id"]
    except shield.exceptions.ResourceNotFoundException:
        protection = shield.create_protection(Name=f"{ADDON}-alb", ResourceArn=out["load_balancer_arn"])["ProtectionId"]
    out["shield_protection"] = protection

    # The EFS CSI driver's file system (no mount target: one would add a
    # network interface to the subnet, which the EC2 probes list).
    efs = client("efs", endpoint)
    token = f"{ADDON}-efs"
    found = efs.describe_file_systems(CreationToken=token)["FileSystems"]
    if found:
        out["efs_file_system"] = found[0]["FileSystemId"]
    else:
        out["efs_file_system"] = efs.create_file_system(CreationToken=token, Tags=[{"Key": "Name", "Value": token}])["FileSystemId"]

    # The VPC CNI's network interfaces: the node's own, and its attachment.
    enis = ec2.describe_network_interfaces(Filters=[{"Name": "attachment.instance-id", "Values": [out["instance"]]}])["NetworkInterfaces"]
    out["network_interface"] = enis[0]["NetworkInterfaceId"]
    out["network_interface_attachment"] = enis[0]["Attachment"]["AttachmentId"]

    # Karpenter: an instance profile for its nodes, and its interruption
    # queue, named for the cluster as Karpenter's template names it.
    profile = f"{ADDON}-node-profile"
    try:
        iam.get_instance_profile(InstanceProfileName=profile)
    except iam.exceptions.NoSuchEntityException:
        iam.create_instance_profile(InstanceProfileName=profile)
    out["instance_profile"] = profile
    sqs = client("sqs", endpoint)
    out["karpenter_queue_url"] = sqs.create_queue(QueueName=cluster)["QueueUrl"]
    out.update(_seed_addon_tagged(ec2, out, cluster))
    out.update(_seed_addon_tagged_elbv2(elb, out, cluster))
    return out


def _seed_addon_tagged_elbv2(elb, out, cluster):
    """The load balancer controller's own ELBv2 resources, tagged
    elbv2.k8s.aws/cluster=CLUSTER as it tags what it creates: a load
    balancer with an HTTP listener (port 8080) and a target group, each
    tagged, beside the untagged ones above, so a check on the controller's
    aws:ResourceTag grants must pick the tagged one (and its deny check the
    untagged one). Created after the untagged ones, so a listing finds those
    first. Found by name first."""
    lbc = [{"Key": "elbv2.k8s.aws/cluster", "Value": cluster}]
    tagged = {}
    try:
        lb = elb.describe_load_balancers(Names=[f"{ADDON}-lbc-alb"])["LoadBalancers"][0]
    except elb.exceptions.LoadBalancerNotFoundException:
        lb = elb.create_load_balancer(
            Name=f"{ADDON}-lbc-alb", Subnets=out["subnets"], SecurityGroups=[out["lbc_security_group"]], Scheme="internal",
            Type="application", Tags=lbc,
        )["LoadBalancers"][0]
    tagged["lbc_load_balancer_arn"] = lb["LoadBalancerArn"]
    try:
        tg = elb.describe_target_groups(Names=[f"{ADDON}-lbc-tg"])["TargetGroups"][0]
    except elb.exceptions.TargetGroupNotFoundException:
        tg = elb.create_target_group(
            Name=f"{ADDON}-lbc-tg", Protocol="HTTP", Port=80, VpcId=out["vpc"], TargetType="ip", Tags=lbc,
        )["TargetGroups"][0]
    tagged["lbc_target_group_arn"] = tg["TargetGroupArn"]
    listeners = elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
    if not listeners:
        forward = [{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}]
        listeners = elb.create_listener(
            LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=8080, DefaultActions=forward, Tags=lbc,
        )["Listeners"]
    tagged["lbc_listener_arn"] = listeners[0]["ListenerArn"]
    return tagged


def _seed_addon_tagged(ec2, out, cluster):
    """The resources the add-ons' resource-tag conditions ask for, beside the
    untagged ones above (so a check must pick the right one): the EBS CSI
    driver's volume and snapshot (ebs.csi.aws.com/cluster=true), Karpenter's
    instance and launch template (kubernetes.io/cluster/CLUSTER=owned,
    karpenter.sh/nodepool=default) and the load balancer controller's
    security group (elbv2.k8s.aws/cluster=CLUSTER). Found by name first."""
    csi = [{"Key": "ebs.csi.aws.com/cluster", "Value": "true"}]
    karpenter = [{"Key": f"kubernetes.io/cluster/{cluster}", "Value": "owned"}, {"Key": "karpenter.sh/nodepool", "Value": "default"}]
    lbc = [{"Key": "elbv2.k8s.aws/cluster", "Value": cluster}]
    tagged = {}

    def by_name(resources, key):
        return next((r for r in resources if {"Key": "Name", "Value": key} in (r.get("Tags") or [])), None)

    found = by_name(ec2.describe_volumes()["Volumes"], f"{ADDON}-csi-volume")
    if found is None:
        found = ec2.create_volume(
            AvailabilityZone=f"{REGION}a", Size=1, VolumeType="gp3",
            TagSpecifications=[{"ResourceType": "volume", "Tags": _tagged(f"{ADDON}-csi-volume") + csi}],
        )
    tagged["csi_volume"] = found["VolumeId"]
    found = by_name(ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"], f"{ADDON}-csi-snapshot")
    if found is None:
        found = ec2.create_snapshot(
            VolumeId=tagged["csi_volume"], Description=f"{ADDON} CSI snapshot",
            TagSpecifications=[{"ResourceType": "snapshot", "Tags": _tagged(f"{ADDON}-csi-snapshot") + csi}],
        )
    tagged["csi_snapshot"] = found["SnapshotId"]

    live = [{"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped"]}]
    found = by_name([i for r in ec2.describe_instances(Filters=live)["Reservations"] for i in r["Instances"]], f"{ADDON}-karpenter-node")
    if found is None:
        found = ec2.run_instances(
            ImageId=out["image"], MinCount=1, MaxCount=1, InstanceType="t3.micro", SubnetId=out["subnets"][0],
            TagSpecifications=[{"ResourceType": "instance", "Tags": _tagged(f"{ADDON}-karpenter-node") + karpenter}],
        )["Instances"][0]
    tagged["karpenter_instance"] = found["InstanceId"]
    name = f"{ADDON}-karpenter-lt"
    templates = ec2.describe_launch_templates(Filters=[{"Name": "launch-template-name", "Values": [name]}])["LaunchTemplates"]
    if templates:
        tagged["karpenter_launch_template"] = templates[0]["LaunchTemplateId"]
    else:
        tagged["karpenter_launch_template"] = ec2.create_launch_template(
            LaunchTemplateName=name, LaunchTemplateData={"ImageId": out["image"], "InstanceType": "t3.micro"},
            TagSpecifications=[{"ResourceType": "launch-template", "Tags": karpenter}],
        )["LaunchTemplate"]["LaunchTemplateId"]

    name = f"{ADDON}-lbc-sg"
    groups = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [out["vpc"]]}, {"Name": "group-name", "Values": [name]}])["SecurityGroups"]
    if groups:
        tagged["lbc_security_group"] = groups[0]["GroupId"]
    else:
        tagged["lbc_security_group"] = ec2.create_security_group(
            GroupName=name, Description=f"{ADDON} load balancer controller's", VpcId=out["vpc"],
            TagSpecifications=[{"ResourceType": "security-group", "Tags": lbc}],
        )["GroupId"]
    return tagged


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


def detach(endpoint, role, name):
    """Detaches the role's managed policy called `name` and deletes it."""
    iam = client("iam", endpoint)
    attached = iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]
    arns = [p["PolicyArn"] for p in attached if p["PolicyName"] == name]
    if len(arns) != 1:
        raise SystemExit(f"detach: {role} has {len(arns)} attached policies named {name}")
    iam.detach_role_policy(RoleName=role, PolicyArn=arns[0])
    iam.delete_policy(PolicyArn=arns[0])
    return {"policy_arn": arns[0]}


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


# snapshot-all: what must not change when irsa-verify probes.
#
# moto's /moto-api/data.json lists every model instance ever created, so it
# shows additions and changed attributes but not deletions (a deleted secret
# or volume stays listed). The "live" part lists what the services hold now,
# read with the admin keys, and catches deletions.

# Services whose bookkeeping changes on every request or run: STS keeps each
# AssumeRole*, IAM each access key's last use and the test's own users.
SNAPSHOT_SKIP_SERVICES = {"sts", "iam"}
# Attributes that change without a write (timers, counters, derived clocks;
# moto's EFS size_in_bytes is built at each read, its Timestamp the clock,
# and its size no write of moto's changes).
SNAPSHOT_VOLATILE = {
    "last_used", "last_used_date", "last_accessed", "last_activity", "approximate_number_of_messages_not_visible",
    "size_in_bytes",
}
# Static tables a backend carries (EC2's 3 MB of instance types).
SNAPSHOT_STATIC = {"instance_types", "regions_opt_in_not_required", "url_bases"}
# Values printed as a digest: a change still shows, the value never does.
SNAPSHOT_SECRET = {"secret_string", "secret_binary", "value", "private_key", "key_material", "plaintext", "password", "secret_access_key", "body"}


def _digest(value):
    return "sha256:" + hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _scrub(value):
    if isinstance(value, dict):
        return {
            k: (_digest(v) if k in SNAPSHOT_SECRET and v not in (None, "", [], {}) else _scrub(v))
            for k, v in value.items()
            if k not in SNAPSHOT_VOLATILE and k not in SNAPSHOT_STATIC
        }
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    return value


def model_snapshot(endpoint):
    """/moto-api/data.json without STS and IAM bookkeeping and without the
    public AMIs (and their snapshots and volumes) that moto creates in each
    region the first time EC2 is touched there, nor the public SSM
    parameters it loads on a first read of one, nor Route 53's journal of
    change batches; each model's distinct instances, sorted."""
    with urllib.request.urlopen(f"{endpoint}/moto-api/data.json", timeout=60) as r:
        data = json.load(r)
    out = {}
    for service, models in sorted(data.items()):
        if service in SNAPSHOT_SKIP_SERVICES:
            continue
        kept = {}
        for name, instances in sorted(models.items()):
            if service == "ec2" and name in ("Ami", "Snapshot", "Volume"):
                instances = _own_ec2(name, instances, data["ec2"])
            if service == "ssm" and name == "Parameter":
                # AWS's public parameters, which moto loads on a first read.
                instances = [p for p in instances if not str(p.get("name", "")).startswith("/aws/service/")]
            if service == "route53" and name == "FakeZone":
                # moto's journal of the change batches applied to a zone, not
                # its records (rrsets holds them): AWS keeps a change's status
                # for GetChange by the change's ID, and no API lists a zone's
                # changes. A record written back as it was leaves rrsets as
                # it was and adds a journal entry.
                instances = [{k: v for k, v in z.items() if k != "rr_changes"} for z in instances]
            if instances:
                # Reads copy some models (a DynamoDB scan, an S3 listing each
                # add tracked instances), so keep each distinct one once.
                unique = {json.dumps(i, sort_keys=True, default=str): i for i in _scrub(instances)}
                kept[name] = [unique[k] for k in sorted(unique)]
        if kept:
            out[service] = kept
    return out


def _own_ec2(name, instances, ec2):
    public_amis = {a.get("id") for a in ec2.get("Ami", []) if a.get("owner_alias") == "amazon" or a.get("is_public")}
    ami_snapshots = [s for s in ec2.get("Snapshot", []) if s.get("from_ami") in public_amis]
    ami_volumes = {s.get("volume_id") for s in ami_snapshots}
    if name == "Ami":
        return [a for a in instances if a.get("id") not in public_amis]
    if name == "Snapshot":
        return [s for s in instances if s.get("from_ami") not in public_amis]
    return [v for v in instances if v.get("id") not in ami_volumes]


def _pages(client_, op, key, **kwargs):
    if client_.can_paginate(op):
        out = []
        for page in client_.get_paginator(op).paginate(**kwargs):
            out.extend(page.get(key, []))
        return out
    return client_.__getattribute__(op)(**kwargs).get(key, [])


def _strip(items, *drop):
    return [{k: v for k, v in i.items() if k not in drop} for i in items]


def live_snapshot(endpoint, regions):
    """What each service holds now, read with the admin keys."""
    out = {}

    def take(label, fn):
        try:
            out[label] = _scrub(fn())
        except Exception as err:  # noqa: BLE001 - one service failing must not hide the others
            out[label] = {"error": f"{type(err).__name__}: {err}"}

    for region in regions:
        def c(service, region=region):
            return client(service, endpoint, region=region)

        ec2 = c("ec2")
        sm, ssm, kms, logs = c("secretsmanager"), c("ssm"), c("kms"), c("logs")

        def secrets():
            items = _pages(sm, "list_secrets", "SecretList", IncludePlannedDeletion=True)
            return sorted(_strip(items, "LastAccessedDate"), key=lambda s: s["ARN"])

        def parameters():
            # AWS's public parameters (/aws/service/...) are in no account,
            # and AWS's DescribeParameters does not list them; moto lists
            # each tree once a read has loaded it.
            items = [p for p in _pages(ssm, "describe_parameters", "Parameters") if not p["Name"].startswith("/aws/service/")]
            names = [p["Name"] for p in items]
            values = {}
            for i in range(0, len(names), 10):
                for p in ssm.get_parameters(Names=names[i : i + 10], WithDecryption=True)["Parameters"]:
                    values[p["Name"]] = {"value": p["Value"], "version": p["Version"]}
            return sorted([dict(p, current=values.get(p["Name"])) for p in items], key=lambda p: p["Name"])

        def keys():
            result = []
            for k in _pages(kms, "list_keys", "Keys"):
                meta = kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"]
                grants = _pages(kms, "list_grants", "Grants", KeyId=k["KeyId"])
                result.append({"key": meta, "grants": grants})
            aliases = _pages(kms, "list_aliases", "Aliases")
            return {"keys": sorted(result, key=lambda r: r["key"]["Arn"]), "aliases": sorted(aliases, key=lambda a: a["AliasName"])}

        def log_groups():
            result = []
            for g in _pages(logs, "describe_log_groups", "logGroups"):
                streams = _pages(logs, "describe_log_streams", "logStreams", logGroupName=g["logGroupName"])
                result.append({"group": g, "streams": _strip(streams, "lastIngestionTime")})
            return sorted(result, key=lambda r: r["group"]["logGroupName"])

        def ec2_state():
            return {
                "instances": sorted(
                    [i for r in _pages(ec2, "describe_instances", "Reservations") for i in r["Instances"]],
                    key=lambda i: i["InstanceId"],
                ),
                "volumes": sorted(_pages(ec2, "describe_volumes", "Volumes"), key=lambda v: v["VolumeId"]),
                "snapshots": sorted(_pages(ec2, "describe_snapshots", "Snapshots", OwnerIds=["self"]), key=lambda s: s["SnapshotId"]),
                "images": sorted(ec2.describe_images(Owners=["self"])["Images"], key=lambda i: i["ImageId"]),
                "security_groups": sorted(_pages(ec2, "describe_security_groups", "SecurityGroups"), key=lambda g: g["GroupId"]),
                "key_pairs": sorted(ec2.describe_key_pairs()["KeyPairs"], key=lambda k: k["KeyName"]),
                "tags": sorted(_pages(ec2, "describe_tags", "Tags"), key=lambda t: (t["ResourceId"], t["Key"])),
                "vpcs": sorted(_pages(ec2, "describe_vpcs", "Vpcs"), key=lambda v: v["VpcId"]),
                "subnets": sorted(_pages(ec2, "describe_subnets", "Subnets"), key=lambda s: s["SubnetId"]),
                "network_interfaces": sorted(_pages(ec2, "describe_network_interfaces", "NetworkInterfaces"), key=lambda n: n["NetworkInterfaceId"]),
                "launch_templates": sorted(_pages(ec2, "describe_launch_templates", "LaunchTemplates"), key=lambda t: t["LaunchTemplateId"]),
            }

        def elbv2():
            elb = c("elbv2")
            lbs = _pages(elb, "describe_load_balancers", "LoadBalancers")
            groups = _pages(elb, "describe_target_groups", "TargetGroups")
            listeners = [l for lb in lbs for l in _pages(elb, "describe_listeners", "Listeners", LoadBalancerArn=lb["LoadBalancerArn"])]
            rules = [r for l in listeners for r in _pages(elb, "describe_rules", "Rules", ListenerArn=l["ListenerArn"])]
            arns = [lb["LoadBalancerArn"] for lb in lbs] + [g["TargetGroupArn"] for g in groups]
            arns += [l["ListenerArn"] for l in listeners] + [r["RuleArn"] for r in rules]
            tags = [t for i in range(0, len(arns), 20) for t in elb.describe_tags(ResourceArns=arns[i : i + 20])["TagDescriptions"]]
            return {
                "load_balancers": lbs,
                "target_groups": groups,
                "listeners": listeners,
                # What the ELBv2 write probes touch: rules and their
                # priorities, certificate lists, tags, registered targets.
                "rules": rules,
                "listener_certificates": {
                    l["ListenerArn"]: _pages(elb, "describe_listener_certificates", "Certificates", ListenerArn=l["ListenerArn"])
                    for l in listeners
                    if l.get("Protocol") in ("HTTPS", "TLS")
                },
                "tags": sorted(tags, key=lambda t: t["ResourceArn"]),
                "targets": {g["TargetGroupArn"]: elb.describe_target_health(TargetGroupArn=g["TargetGroupArn"])["TargetHealthDescriptions"] for g in groups},
                # What the attribute write-backs touch.
                "load_balancer_attributes": {
                    lb["LoadBalancerArn"]: elb.describe_load_balancer_attributes(LoadBalancerArn=lb["LoadBalancerArn"])["Attributes"] for lb in lbs
                },
                "target_group_attributes": {
                    g["TargetGroupArn"]: elb.describe_target_group_attributes(TargetGroupArn=g["TargetGroupArn"])["Attributes"] for g in groups
                },
                "listener_attributes": {
                    l["ListenerArn"]: elb.describe_listener_attributes(ListenerArn=l["ListenerArn"])["Attributes"] for l in listeners
                },
            }

        def autoscaling():
            asg = c("autoscaling")
            return {
                "groups": _pages(asg, "describe_auto_scaling_groups", "AutoScalingGroups"),
                "launch_configurations": _pages(asg, "describe_launch_configurations", "LaunchConfigurations"),
            }

        def eks():
            e = c("eks")
            result = []
            for name in _pages(e, "list_clusters", "clusters"):
                cluster = e.describe_cluster(name=name)["cluster"]
                ngs = [e.describe_nodegroup(clusterName=name, nodegroupName=n)["nodegroup"] for n in _pages(e, "list_nodegroups", "nodegroups", clusterName=name)]
                result.append({"cluster": cluster, "nodegroups": ngs})
            return result

        def ecr():
            e = c("ecr")
            repos = _pages(e, "describe_repositories", "repositories")
            return [{"repository": r, "images": _pages(e, "list_images", "imageIds", repositoryName=r["repositoryName"])} for r in repos]

        def sns():
            s = c("sns")
            topics = _pages(s, "list_topics", "Topics")
            return {
                "topics": [dict(t, attributes=s.get_topic_attributes(TopicArn=t["TopicArn"])["Attributes"]) for t in topics],
                "subscriptions": _pages(s, "list_subscriptions", "Subscriptions"),
            }

        def sqs():
            q = c("sqs")
            urls = q.list_queues().get("QueueUrls", [])
            return {u: q.get_queue_attributes(QueueUrl=u, AttributeNames=["All"])["Attributes"] for u in sorted(urls)}

        def acm():
            return _pages(c("acm"), "list_certificates", "CertificateSummaryList")

        def dynamodb():
            d = c("dynamodb")
            tables = {}
            for t in _pages(d, "list_tables", "TableNames"):
                desc = d.describe_table(TableName=t)["Table"]
                items = sorted(_pages(d, "scan", "Items", TableName=t), key=lambda i: json.dumps(i, sort_keys=True))
                tables[t] = {"table": desc, "items": items}
            return tables

        for label, fn in [
            ("secretsmanager", secrets), ("ssm", parameters), ("kms", keys), ("logs", log_groups), ("ec2", ec2_state),
            ("elbv2", elbv2), ("autoscaling", autoscaling), ("eks", eks), ("ecr", ecr), ("sns", sns), ("sqs", sqs),
            ("acm", acm), ("dynamodb", dynamodb),
        ]:
            take(f"{region}/{label}", fn)

    def route53():
        r = client("route53", endpoint)
        zones = _pages(r, "list_hosted_zones", "HostedZones")
        return [{"zone": z, "records": _pages(r, "list_resource_record_sets", "ResourceRecordSets", HostedZoneId=z["Id"])} for z in zones]

    def s3():
        s = client("s3", endpoint)
        result = {}
        for b in s.list_buckets().get("Buckets", []):
            versions = s.list_object_versions(Bucket=b["Name"])
            result[b["Name"]] = {
                "versions": [{k: v[k] for k in ("Key", "VersionId", "ETag", "IsLatest", "Size")} for v in versions.get("Versions", [])],
                "delete_markers": [{k: v[k] for k in ("Key", "VersionId", "IsLatest")} for v in versions.get("DeleteMarkers", [])],
            }
        return result

    take("global/route53", route53)
    take("global/s3", s3)
    return out


def snapshot_all(endpoint, live=True, regions=(REGION,)):
    """Everything the emulator holds, for before/after comparison: a run that
    changed no data prints the same JSON twice."""
    out = {}
    # Live reads first: the first EC2 call in a region makes moto create that
    # region's default VPC, which data.json must already show.
    if live:
        out["live"] = live_snapshot(endpoint, list(regions))
    out["models"] = model_snapshot(endpoint)
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("command", choices=["bootstrap", "seed", "seed-addons", "snapshot", "snapshot-all", "token", "export", "attach", "detach", "second-role"])
    p.add_argument("--role-name")
    p.add_argument("--dir")
    p.add_argument("--name")
    p.add_argument("--policy", help="a policy document (JSON); YOUR_BUCKET and YOUR_TABLE are replaced on seed")
    p.add_argument("--trust", help="second-role: the principal (ARN) the role's trust policy allows")
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
    p.add_argument("--no-live", action="store_true", help="snapshot-all: only /moto-api/data.json, no reads with the admin keys")
    p.add_argument("--region", action="append", help=f"snapshot-all: a region to read (repeatable; default {REGION})")
    a = p.parse_args()
    if a.command == "bootstrap":
        result = bootstrap(a.endpoint)
    elif a.command == "seed":
        result = seed(a.endpoint, a.kind, a.suffix, a.token_file, a.namespace, a.service_account, a.policy)
    elif a.command == "seed-addons":
        result = seed_addons(a.endpoint)
    elif a.command == "export":
        result = export(a.endpoint, a.role_name, a.dir)
    elif a.command == "attach":
        result = attach(a.endpoint, a.role_name, a.name, a.policy)
    elif a.command == "detach":
        result = detach(a.endpoint, a.role_name, a.name)
    elif a.command == "second-role":
        result = second_role(a.endpoint, a.role_name, a.trust, a.policy)
    elif a.command == "token":
        write_token(a.token_file, a.namespace, a.service_account, a.lifetime, a.audience)
        result = {"token_file": a.token_file}
    elif a.command == "snapshot-all":
        result = snapshot_all(a.endpoint, live=not a.no_live, regions=a.region or [REGION])
    else:
        result = snapshot(a.endpoint, a.bucket, a.table)
    json.dump(result, sys.stdout, sort_keys=True, default=str)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
