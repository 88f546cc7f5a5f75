//! The catalogue: one row per probeable action. Adding an action is adding a
//! row here; the unit tests below hold every row to its invariants.

use super::{
    Attr, Copied, Ec2Id, Found, Kind, OtherTarget, Otherwise, Probe, Row, Sdk, TargetKind, Tells,
    Wire, V,
};
use crate::answer::AuthorizedError;
use crate::signed::services::*;

// ---------------------------------------------------------------- S3, DynamoDB, IMDS

/// A read S3 answers only to a caller allowed it: `NoSuchKey` needs
/// s3:GetObject (and s3:ListBucket), an unsatisfiable range needs the read.
pub const S3_READ_AUTHORIZED: &[AuthorizedError] = &[
    AuthorizedError::code("NoSuchKey"),
    AuthorizedError::code("InvalidRange"),
];
/// A conditional write S3 refuses after authorizing it.
pub const S3_CONDITIONAL_AUTHORIZED: &[AuthorizedError] = &[
    AuthorizedError::code("NoSuchKey"),
    AuthorizedError::code("PreconditionFailed"),
];
/// A conditional DynamoDB write refused after authorization.
pub const DYNAMODB_CONDITION_FAILED: &[AuthorizedError] =
    &[AuthorizedError::code("ConditionalCheckFailedException")];
/// DeleteTable on a protected table (the order is an assumption, stated in
/// the README). AWS and the emulator word it differently; both name it.
pub const DYNAMODB_DELETION_PROTECTED: &[AuthorizedError] = &[AuthorizedError {
    code: "ValidationException",
    message_has: &[
        "deletion protection",
        "DeletionProtectionEnabled",
        "protected against",
    ],
}];

// One row read as a table line: every field is positional on purpose.
#[allow(clippy::too_many_arguments)]
const fn sdk(
    action: &'static str,
    probe: Sdk,
    target: TargetKind,
    resources: &'static [&'static str],
    allowed: &'static [AuthorizedError],
    harmless: &'static str,
    basis: &'static str,
    destructive: bool,
) -> Row {
    Row {
        action,
        target,
        probe: Probe::Sdk(probe),
        resources,
        allowed,
        tells: Tells::Both,
        harmless,
        basis,
        destructive,
    }
}

const S3_COND: &str = "S3 User Guide, conditional requests: If-Match on a write or delete fails with 412 (or 404 for a missing key) and changes nothing; \
                       conditional deletes on general purpose buckets since 2025-09-16 (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-requests.html)";
const DDB_COND: &str = "DynamoDB API reference, ConditionExpression: a condition that fails gives ConditionalCheckFailedException and writes nothing \
                        (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PutItem.html)";

/// A signed-request row: one POST to the service's root, sent as it is, a
/// 2xx its only allowed answer. Each family below sets what it differs in.
const fn wire(
    action: &'static str,
    target: TargetKind,
    service: &'static ServiceDef,
    op: &'static str,
    params: &'static [(&'static str, V)],
    resources: &'static [&'static str],
) -> Row {
    Row {
        action,
        target,
        probe: Probe::Wire(Wire {
            service,
            op,
            method: "POST",
            path: "/",
            params,
            xml: None,
            dry_run: false,
            tags_for: None,
        }),
        resources,
        allowed: &[],
        tells: Tells::Both,
        harmless: "",
        basis: "",
        destructive: false,
    }
}

/// The same row sent with DryRun=true, only `allowed` proving the permission.
const fn dry(mut row: Row, allowed: &'static [AuthorizedError]) -> Row {
    if let Probe::Wire(w) = &mut row.probe {
        w.dry_run = true;
    }
    row.allowed = allowed;
    row
}

/// The same row sent as a GET of `path` (REST).
const fn at(mut row: Row, method: &'static str, path: &'static str) -> Row {
    if let Probe::Wire(w) = &mut row.probe {
        w.method = method;
        w.path = path;
    }
    row
}

// ---------------------------------------------------------------- EC2 (DryRun)

const EC2_BASIS: &str = "EC2 API reference, common parameters: DryRun \"checks whether you have the required permissions for the action, without actually \
                         making the request... If you have the required permissions, the error response is DryRunOperation. Otherwise, it is \
                         UnauthorizedOperation.\" (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/CommonParameters.html)";
const EC2_HARMLESS: &str =
    "DryRun=true: EC2 checks the permission and does not carry the request out";
const DRY_RUN: &[AuthorizedError] = &[AuthorizedError::code("DryRunOperation")];

const fn ec2(
    action: &'static str,
    op: &'static str,
    params: &'static [(&'static str, V)],
    resources: &'static [&'static str],
    destructive: bool,
) -> Row {
    let mut row = dry(
        wire(action, TargetKind::Account, &EC2, op, params, resources),
        DRY_RUN,
    );
    row.harmless = EC2_HARMLESS;
    row.basis = EC2_BASIS;
    row.destructive = destructive;
    row
}

/// An EC2 create: the DryRun carries the tags that the granting statements'
/// `aws:RequestTag` conditions ask for, as `TagSpecification` of `ty`.
const fn ec2_create(
    action: &'static str,
    op: &'static str,
    params: &'static [(&'static str, V)],
    resources: &'static [&'static str],
    ty: &'static str,
) -> Row {
    let mut row = ec2(action, op, params, resources, false);
    if let Probe::Wire(w) = &mut row.probe {
        w.tags_for = Some(ty);
    }
    row
}

/// What CreateTags and DeleteTags on an existing resource are judged with
/// (`policy::derive` builds that context from the row's `Tag.N` values):
/// the tags the request names, no other, and no ec2:CreateAction.
const EC2_TAGGING_BASIS: &str = "EC2 API reference, common parameters: DryRun \"checks whether you have the required permissions for the action, without actually \
                                 making the request... If you have the required permissions, the error response is DryRunOperation. Otherwise, it is \
                                 UnauthorizedOperation.\" (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/CommonParameters.html). The request's tags \
                                 are its only ones: aws:RequestTag/key-name: \"Use this key to compare the tag key-value pair that was passed in the request with the tag \
                                 pair that you specify in the policy\"; aws:TagKeys: \"Use this key to compare the tag keys in a request with the keys that you \
                                 specify in the policy\" (IAM User Guide, global condition context keys, \
                                 https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html); a DeleteTags key without a value \
                                 leaves that key's aws:RequestTag open. A direct call carries no ec2:CreateAction: with CreateTags granted only under \
                                 ec2:CreateAction, \"Users are not permitted to tag any existing resources (they cannot call the ec2:CreateTags action directly)\" \
                                 (EC2 User Guide, https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/supported-iam-actions-tagging.html)";

/// CreateTags or DeleteTags on an existing resource: an EC2 DryRun row
/// whose basis says what its request's tag context is.
const fn tagging(mut row: Row) -> Row {
    row.basis = EC2_TAGGING_BASIS;
    row
}

/// The same row with a basis of its own (its API reference page).
const fn based(mut row: Row, basis: &'static str) -> Row {
    row.basis = basis;
    row
}

const CREATE_VOLUME: &[(&str, V)] = &[
    ("AvailabilityZone", V::RegionThen("a")),
    ("Size", V::Lit("1")),
];
const CREATE_SECURITY_GROUP: &[(&str, V)] = &[
    ("GroupName", V::Random),
    ("GroupDescription", V::Lit("irsa-verify dry run")),
    ("VpcId", V::Id(Ec2Id::Vpc)),
];
const CREATE_LAUNCH_TEMPLATE: &[(&str, V)] = &[
    ("LaunchTemplateName", V::Random),
    ("LaunchTemplateData.InstanceType", V::Lit("t3.micro")),
];

/// ec2:CreateTags proven through a create that tags what it makes.
const EC2_TAG_ON_CREATE_BASIS: &str = "EC2 User Guide, \"Grant permission to tag Amazon EC2 resources during creation\": \"If tags are specified in the \
                                       resource-creating action, Amazon performs additional authorization on the ec2:CreateTags action to verify if users have \
                                       permissions to create tags\", and \"In the IAM policy definition for the ec2:CreateTags action, use the Condition element \
                                       with the ec2:CreateAction condition key to give tagging permissions to the action that creates the resource\" \
                                       (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/supported-iam-actions-tagging.html). So the create's DryRun, carrying \
                                       tags, is authorized as the create on its resources and as ec2:CreateTags on what it creates, with ec2:CreateAction \
                                       naming the create: DryRunOperation proves both (EC2 API reference, common parameters: DryRun \"If you have the required \
                                       permissions, the error response is DryRunOperation\", https://docs.aws.amazon.com/AWSEC2/latest/APIReference/CommonParameters.html); \
                                       an UnauthorizedOperation does not say which of them was refused, so it is could not tell";

/// An EC2 create's row, made ec2:CreateTags on what it creates: only an
/// allowed answer tells.
const fn on_create(mut row: Row) -> Row {
    row.tells = Tells::AllowOnly;
    row.basis = EC2_TAG_ON_CREATE_BASIS;
    row
}

const ANY: &[&str] = &["*"];
const SG_RULE: &[(&str, V)] = &[
    ("GroupId", V::Id(Ec2Id::SecurityGroup)),
    ("IpPermissions.1.IpProtocol", V::Lit("tcp")),
    ("IpPermissions.1.FromPort", V::Lit("1")),
    ("IpPermissions.1.ToPort", V::Lit("1")),
    // TEST-NET-1 (RFC 5737): no real host.
    ("IpPermissions.1.IpRanges.1.CidrIp", V::Lit("192.0.2.1/32")),
];

// ---------------------------------------------------------------- reads and documented writes of the other services

/// A plain read: a 2xx answer is the proof.
const fn read(
    action: &'static str,
    service: &'static ServiceDef,
    op: &'static str,
    target: TargetKind,
    params: &'static [(&'static str, V)],
    resources: &'static [&'static str],
    basis: &'static str,
) -> Row {
    let mut row = wire(action, target, service, op, params, resources);
    row.harmless = "a read: it changes nothing, and the answer's body is never printed";
    row.basis = basis;
    row
}

/// A REST read (GET): a read, routed by its path.
const fn get(
    action: &'static str,
    service: &'static ServiceDef,
    op: &'static str,
    target: TargetKind,
    path: &'static str,
    resources: &'static [&'static str],
    basis: &'static str,
) -> Row {
    at(
        read(action, service, op, target, &[], resources, basis),
        "GET",
        path,
    )
}

/// A restJson1 read sent as a POST (X-Ray's), routed by its path; no body
/// member is set, so its body is `{}`.
const fn post(
    action: &'static str,
    service: &'static ServiceDef,
    op: &'static str,
    path: &'static str,
    resources: &'static [&'static str],
    basis: &'static str,
) -> Row {
    let row = read(
        action,
        service,
        op,
        TargetKind::Account,
        &[],
        resources,
        basis,
    );
    at(row, "POST", path)
}

const ELBV2_READS: &str = "Elastic Load Balancing API reference (2015-12-01); the Service Authorization Reference lists no resource types for ELBv2 Describe* actions";
const ASG_READS: &str = "Amazon EC2 Auto Scaling API reference; Describe* actions take no resource-level permissions (Service Authorization Reference)";
const SM_API: &str = "Secrets Manager API reference";
/// Secrets Manager appends six random characters to every secret's ARN.
const SM_SECRET: &str = "arn:{p}:secretsmanager:{r}:{a}:secret:{name}-??????";
/// A secret of the name with a random suffix, which no secret has.
const SM_MADE_UP_SECRET: &str = "arn:{p}:secretsmanager:{r}:{a}:secret:{name}-{random6}";
const SSM_PARAM: &str = "arn:{p}:ssm:{r}:{a}:parameter/{name}";
/// The AWS public parameter that a grant covering it (Karpenter's
/// `parameter/aws/service/*`) is probed on: the Amazon Linux 2023 AMI that
/// its user guide launches by this name. Amazon Linux 2's, which the Systems
/// Manager User Guide shows with its account-less ARN, reached its end of
/// support on 2026-06-30; AL2023's is the one a cluster launches now (the
/// basis of ssm:GetParameter quotes both).
pub const PUBLIC_PARAMETER: &str =
    "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64";
const KMS_KEY: &str = "arn:{p}:kms:{r}:{a}:key/{name}";
const KMS_DRY: &str = "KMS Developer Guide, \"Testing your permissions\": with DryRun, KMS answers DryRunOperationException when the request would succeed, \
                       and does not perform the operation (https://docs.aws.amazon.com/kms/latest/developerguide/testing-permissions.html)";
const KMS_DRY_RUN: &[AuthorizedError] = &[AuthorizedError::code("DryRunOperationException")];
/// CloudWatch Logs authorizes calls on a log group as `log-group:NAME:log-stream:`
/// (AWS's denials name that ARN), so `log-group:NAME:*` grants them and a bare
/// `log-group:NAME` does not; DescribeLogGroups names no group.
const LOGS_GROUP: &str = "arn:{p}:logs:{r}:{a}:log-group:{name}:log-stream:";
const LOGS_ALL_GROUPS: &str = "arn:{p}:logs:{r}:{a}:log-group::log-stream:";
const ZONE: &str = "arn:{p}:route53:::hostedzone/{name}";
const SQS_QUEUE: &str = "arn:{p}:sqs:{r}:{a}:{name}";
const SNS_TOPIC: &str = "arn:{p}:sns:{r}:{a}:{name}";
const R53_API: &str = "Route 53 API reference (2013-04-01)";
const EKS_API: &str = "Amazon EKS API reference; the cluster and node group are the first ones the role lists (the check is not attempted when it lists none)";

const fn kms_dry(
    action: &'static str,
    op: &'static str,
    params: &'static [(&'static str, V)],
) -> Row {
    let row = wire(
        action,
        TargetKind::Named(Kind::Key),
        &KMS,
        op,
        params,
        &[KMS_KEY],
    );
    let mut row = dry(row, KMS_DRY_RUN);
    row.harmless = "DryRun=true: KMS checks the permission and performs nothing";
    row.basis = KMS_DRY;
    row
}

/// A write on a made-up resource whose "not found" AWS does not document as
/// coming after authorization: only a denial tells.
const fn deny_only(
    action: &'static str,
    service: &'static ServiceDef,
    op: &'static str,
    params: &'static [(&'static str, V)],
    resources: &'static [&'static str],
    harmless: &'static str,
    destructive: bool,
) -> Row {
    let mut row = wire(action, TargetKind::Account, service, op, params, resources);
    row.tells = Tells::DenialOnly;
    row.harmless = harmless;
    row.basis = "the resource is made up, so the call finds nothing to change; AWS does not document whether it authorizes before it looks the resource up, so a \"not found\" is could not tell";
    row.destructive = destructive;
    row
}

const MADE_UP_LB: V =
    V::MadeUp("arn:{p}:elasticloadbalancing:{r}:{a}:loadbalancer/app/irsa-verify-probe/{random16}");
const MADE_UP_TG: V =
    V::MadeUp("arn:{p}:elasticloadbalancing:{r}:{a}:targetgroup/irsa-verify-probe/{random16}");
const MADE_UP_LISTENER: V = V::MadeUp(
    "arn:{p}:elasticloadbalancing:{r}:{a}:listener/app/irsa-verify-probe/{random16}/{random16}",
);

/// An ELBv2 write on a real resource a listing found, in a form the API
/// reference documents as changing nothing: a 2xx is the proof.
const fn elb_no_op(
    action: &'static str,
    op: &'static str,
    params: &'static [(&'static str, V)],
    resources: &'static [&'static str],
    harmless: &'static str,
    basis: &'static str,
    destructive: bool,
) -> Row {
    let mut row = wire(action, TargetKind::Account, &ELBV2, op, params, resources);
    row.harmless = harmless;
    row.basis = basis;
    row.destructive = destructive;
    row
}

/// A deny-only ELBv2 write on made-up ARNs, its basis the API reference's
/// own error for a resource that does not exist.
const fn elb_deny_only(
    action: &'static str,
    op: &'static str,
    params: &'static [(&'static str, V)],
    resources: &'static [&'static str],
    harmless: &'static str,
    basis: &'static str,
    destructive: bool,
) -> Row {
    based(
        deny_only(action, &ELBV2, op, params, resources, harmless, destructive),
        basis,
    )
}

/// What a found listener, rule and target group are authorized as: an
/// Application Load Balancer's (the probe does not attempt a Network Load
/// Balancer's, which no expectation here was judged on).
const ELB_LISTENER: &str = "arn:{p}:elasticloadbalancing:{r}:{a}:listener/app/{id}/{id}/{id}";
const ELB_RULE: &str = "arn:{p}:elasticloadbalancing:{r}:{a}:listener-rule/app/{id}/{id}/{id}/{id}";
const ELB_TARGET_GROUP: &str = "arn:{p}:elasticloadbalancing:{r}:{a}:targetgroup/{id}/{id}";
const ELB_LOAD_BALANCER: &str = "arn:{p}:elasticloadbalancing:{r}:{a}:loadbalancer/app/{id}/{id}";
const MADE_UP_RULE: V = V::MadeUp(
    "arn:{p}:elasticloadbalancing:{r}:{a}:listener-rule/app/irsa-verify-probe/{random16}/{random16}/{random16}",
);
const MADE_UP_TG_ARN: &str =
    "arn:{p}:elasticloadbalancing:{r}:{a}:targetgroup/irsa-verify-probe/{random16}";
const MADE_UP_LISTENER_ARN: &str =
    "arn:{p}:elasticloadbalancing:{r}:{a}:listener/app/irsa-verify-probe/{random16}/{random16}";
const MADE_UP_RULE_ARN: &str =
    "arn:{p}:elasticloadbalancing:{r}:{a}:listener-rule/app/irsa-verify-probe/{random16}/{random16}/{random16}";
/// An instance ID no instance has: 17 hex digits, as EC2 makes them.
const MADE_UP_INSTANCE: V = V::MadeUp("i-0{random16}");

#[rustfmt::skip]
pub const ROWS: &[Row] = &[
    // S3, DynamoDB and instance metadata: probes written against an SDK
    // client (src/probe/s3.rs, dynamodb.rs, imds.rs), rows like any other.
    sdk("s3:ListBucket", Sdk::ListBucket, TargetKind::Bucket, &["arn:{p}:s3:::{name}"], &[],
        "ListObjectsV2 with max-keys 1: a read", "S3 API reference, ListObjectsV2 (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html)", false),
    sdk("s3:GetObject", Sdk::GetObject, TargetKind::Object { key_required: false }, &["arn:{p}:s3:::{name}"], S3_READ_AUTHORIZED,
        "GetObject with Range bytes=0-0 on the named key, or on a fresh key after ListObjectsV2 proves s3:ListBucket: reads at most one byte, never printed",
        "S3 API reference, GetObject: \"If you have the s3:ListBucket permission on the bucket, Amazon S3 returns an HTTP status code 404 Not Found error. \
         If you don't have the s3:ListBucket permission, Amazon S3 returns an HTTP status code 403 Access Denied error.\" \
         (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html)", false),
    sdk("s3:PutObject", Sdk::PutObject, TargetKind::Object { key_required: false }, &["arn:{p}:s3:::{name}"], S3_CONDITIONAL_AUTHORIZED,
        "PutObject with If-Match on a random ETag, on a fresh key: 404 or 412, nothing written; on a named key only with --allow-destructive", S3_COND, false),
    sdk("s3:DeleteObject", Sdk::DeleteObject, TargetKind::Object { key_required: false }, &["arn:{p}:s3:::{name}"], S3_CONDITIONAL_AUTHORIZED,
        "DeleteObject with If-Match on a random ETag, on a fresh key: 404, nothing deleted, no delete marker", S3_COND, true),
    sdk("dynamodb:DescribeTable", Sdk::DescribeTable, TargetKind::Table, &["arn:{p}:dynamodb:{r}:{a}:table/{name}"], &[],
        "DescribeTable: a read", "DynamoDB API reference, DescribeTable", false),
    sdk("dynamodb:ListTables", Sdk::ListTables, TargetKind::Account, &["*"], &[],
        "ListTables with limit 1: a read", "DynamoDB API reference, ListTables; the Service Authorization Reference lists no resource for it", false),
    sdk("dynamodb:GetItem", Sdk::GetItem, TargetKind::Item, &["arn:{p}:dynamodb:{r}:{a}:table/{name}"], &[],
        "GetItem of a random key shaped by the key schema: a read, the item never printed", "DynamoDB API reference, GetItem", false),
    sdk("dynamodb:PutItem", Sdk::PutItem, TargetKind::Item, &["arn:{p}:dynamodb:{r}:{a}:table/{name}"], DYNAMODB_CONDITION_FAILED,
        "PutItem with attribute_exists on a made-up attribute: ConditionalCheckFailedException, nothing written", DDB_COND, false),
    sdk("dynamodb:DeleteItem", Sdk::DeleteItem, TargetKind::Item, &["arn:{p}:dynamodb:{r}:{a}:table/{name}"], DYNAMODB_CONDITION_FAILED,
        "DeleteItem with attribute_exists on a made-up attribute: ConditionalCheckFailedException, nothing deleted", DDB_COND, true),
    sdk("dynamodb:DeleteTable", Sdk::DeleteTable, TargetKind::Table, &["arn:{p}:dynamodb:{r}:{a}:table/{name}"], DYNAMODB_DELETION_PROTECTED,
        "DeleteTable only on a table with deletion protection (ValidationException, the table stays), or with --allow-destructive",
        "DynamoDB Developer Guide, deletion protection; that it authorizes first is an assumption stated in the README", true),
    sdk("imds:Unreachable", Sdk::ImdsUnreachable, TargetKind::Node, &[], &[],
        "a PUT for an IMDSv2 token and a GET of the role name, or the same GET without a token (IMDSv1) when the token fails, 1-second timeouts: reads the role's name, never its credentials",
        "EC2 User Guide, instance metadata; EKS best practices: restrict IMDS to pods (hop limit 1)", false),
    // Bucket reads the add-on policies use (Velero, Loki, Thanos, Fluent Bit...).
    sdk("s3:GetBucketLocation", Sdk::GetBucketLocation, TargetKind::Bucket, &["arn:{p}:s3:::{name}"], &[],
        "GetBucketLocation: a read", "S3 API reference, GetBucketLocation (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLocation.html)", false),
    sdk("s3:ListBucketMultipartUploads", Sdk::ListBucketMultipartUploads, TargetKind::Bucket, &["arn:{p}:s3:::{name}"], &[],
        "ListMultipartUploads with max-uploads 1: a read", "S3 API reference, ListMultipartUploads (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListMultipartUploads.html)", false),
    sdk("s3:ListBucketVersions", Sdk::ListBucketVersions, TargetKind::Bucket, &["arn:{p}:s3:::{name}"], &[],
        "ListObjectVersions with max-keys 1: a read", "S3 API reference, ListObjectVersions (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectVersions.html)", false),

    // EC2 reads (DryRun; the Service Authorization Reference lists no resource for Describe*).
    ec2("ec2:DescribeAccountAttributes", "DescribeAccountAttributes", &[], ANY, false),
    ec2("ec2:DescribeAddresses", "DescribeAddresses", &[], ANY, false),
    ec2("ec2:DescribeAvailabilityZones", "DescribeAvailabilityZones", &[], ANY, false),
    ec2("ec2:DescribeCoipPools", "DescribeCoipPools", &[], ANY, false),
    // On the first customer-owned IP pool DescribeCoipPools lists (an
    // Outposts feature: none listed, not attempted).
    based(ec2("ec2:GetCoipPoolUsage", "GetCoipPoolUsage", &[("PoolId", V::Found(Found::CoipPool))], &["arn:{p}:ec2:{r}:{a}:coip-pool/{id}"], false),
        "EC2 API reference, GetCoipPoolUsage: \"Describes the allocations from the specified customer-owned address pool\"; PoolId (\"The ID of the \
         address pool\") is required, and DryRun \"Checks whether you have the required permissions for the action, without actually making the request, \
         and provides an error response. If you have the required permissions, the error response is DryRunOperation. Otherwise, it is \
         UnauthorizedOperation.\" The pool is the first DescribeCoipPools lists: the pools exist only with AWS Outposts, so where it lists none the check \
         is not attempted (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_GetCoipPoolUsage.html)"),
    ec2("ec2:DescribeImages", "DescribeImages", &[("Owner.1", V::Lit("self"))], ANY, false),
    ec2("ec2:DescribeInstanceTypes", "DescribeInstanceTypes", &[], ANY, false),
    ec2("ec2:DescribeInstances", "DescribeInstances", &[], ANY, false),
    ec2("ec2:DescribeInternetGateways", "DescribeInternetGateways", &[], ANY, false),
    ec2("ec2:DescribeIpamPools", "DescribeIpamPools", &[], ANY, false),
    ec2("ec2:DescribeLaunchTemplates", "DescribeLaunchTemplates", &[], ANY, false),
    ec2("ec2:DescribeLaunchTemplateVersions", "DescribeLaunchTemplateVersions", &[("LaunchTemplateId", V::Id(Ec2Id::LaunchTemplate))], ANY, false),
    ec2("ec2:DescribeNetworkInterfaces", "DescribeNetworkInterfaces", &[], ANY, false),
    ec2("ec2:DescribeRouteTables", "DescribeRouteTables", &[], ANY, false),
    ec2("ec2:DescribeSecurityGroups", "DescribeSecurityGroups", &[], ANY, false),
    ec2("ec2:DescribeSnapshots", "DescribeSnapshots", &[("Owner.1", V::Lit("self"))], ANY, false),
    ec2("ec2:DescribeSubnets", "DescribeSubnets", &[], ANY, false),
    ec2("ec2:DescribeTags", "DescribeTags", &[], ANY, false),
    ec2("ec2:DescribeVolumeStatus", "DescribeVolumeStatus", &[], ANY, false),
    ec2("ec2:DescribeVolumes", "DescribeVolumes", &[], ANY, false),
    ec2("ec2:DescribeVolumesModifications", "DescribeVolumesModifications", &[], ANY, false),
    ec2("ec2:DescribeVpcPeeringConnections", "DescribeVpcPeeringConnections", &[], ANY, false),
    ec2("ec2:DescribeVpcs", "DescribeVpcs", &[], ANY, false),
    ec2("ec2:GetSecurityGroupsForVpc", "GetSecurityGroupsForVpc", &[("VpcId", V::Id(Ec2Id::Vpc))], &["arn:{p}:ec2:{r}:{a}:vpc/{id}"], false),
    ec2("ec2:GetInstanceTypesFromInstanceRequirements", "GetInstanceTypesFromInstanceRequirements",
        &[("ArchitectureType.1", V::Lit("x86_64")), ("VirtualizationType.1", V::Lit("hvm")),
          ("InstanceRequirements.VCpuCount.Min", V::Lit("1")), ("InstanceRequirements.MemoryMiB.Min", V::Lit("1024"))], ANY, false),

    // EC2 writes (DryRun): every resource the request names is authorized.
    ec2("ec2:AttachVolume", "AttachVolume", &[("VolumeId", V::Id(Ec2Id::Volume)), ("InstanceId", V::Id(Ec2Id::Instance)), ("Device", V::Lit("/dev/sdz"))],
        &["arn:{p}:ec2:{r}:{a}:instance/{id}", "arn:{p}:ec2:{r}:{a}:volume/{id}"], false),
    ec2("ec2:DetachVolume", "DetachVolume", &[("VolumeId", V::Id(Ec2Id::Volume)), ("InstanceId", V::Id(Ec2Id::Instance))],
        &["arn:{p}:ec2:{r}:{a}:instance/{id}", "arn:{p}:ec2:{r}:{a}:volume/{id}"], true),
    ec2("ec2:ModifyVolume", "ModifyVolume", &[("VolumeId", V::Id(Ec2Id::Volume))], &["arn:{p}:ec2:{r}:{a}:volume/{id}"], false),
    ec2_create("ec2:CreateVolume", "CreateVolume", CREATE_VOLUME, &["arn:{p}:ec2:{r}:{a}:volume/*"], "volume"),
    // A copy of a real volume: the copy is created (with the grants' tags),
    // the source is read.
    ec2_create("ec2:CopyVolumes", "CopyVolumes", &[("SourceVolumeId", V::Id(Ec2Id::Volume))],
        &["arn:{p}:ec2:{r}:{a}:volume/*", "arn:{p}:ec2:{r}:{a}:volume/{id}"], "volume"),
    ec2("ec2:DeleteVolume", "DeleteVolume", &[("VolumeId", V::Id(Ec2Id::Volume))], &["arn:{p}:ec2:{r}:{a}:volume/{id}"], true),
    ec2_create("ec2:CreateSnapshot", "CreateSnapshot", &[("VolumeId", V::Id(Ec2Id::Volume))],
        &["arn:{p}:ec2:{r}::snapshot/*", "arn:{p}:ec2:{r}:{a}:volume/{id}"], "snapshot"),
    ec2("ec2:DeleteSnapshot", "DeleteSnapshot", &[("SnapshotId", V::Id(Ec2Id::Snapshot))], &["arn:{p}:ec2:{r}::snapshot/{id}"], true),
    // The EBS CSI driver's snapshot locks. Governance mode for one day: the
    // mode a lock can be lifted from, were the DryRun ever carried out.
    based(ec2("ec2:LockSnapshot", "LockSnapshot", &[("SnapshotId", V::Id(Ec2Id::Snapshot)), ("LockMode", V::Lit("governance")), ("LockDuration", V::Lit("1"))],
        &["arn:{p}:ec2:{r}::snapshot/{id}"], false),
        "EC2 API reference, LockSnapshot: DryRun \"Checks whether you have the required permissions for the action, without actually making the request, \
         and provides an error response. If you have the required permissions, the error response is DryRunOperation. Otherwise, it is UnauthorizedOperation.\"; \
         in governance mode \"Users with the appropriate IAM permissions can unlock the snapshot\" \
         (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_LockSnapshot.html)"),
    ec2("ec2:EnableFastSnapshotRestores", "EnableFastSnapshotRestores", &[("AvailabilityZone.1", V::RegionThen("a")), ("SourceSnapshotId.1", V::Id(Ec2Id::Snapshot))],
        &["arn:{p}:ec2:{r}::snapshot/{id}"], false),
    // Tags a network interface, as the VPC CNI does; volumes are tagged by
    // the creating call (CreateVolume, CreateSnapshot), which these rows probe.
    tagging(ec2("ec2:CreateTags", "CreateTags", &[("ResourceId.1", V::Id(Ec2Id::NetworkInterface)), ("Tag.1.Key", V::Lit("irsa-verify-probe")), ("Tag.1.Value", V::Lit("dry-run"))],
        &["arn:{p}:ec2:{r}:{a}:network-interface/{id}"], false)),
    tagging(ec2("ec2:DeleteTags", "DeleteTags", &[("ResourceId.1", V::Id(Ec2Id::Volume)), ("Tag.1.Key", V::Lit("irsa-verify-probe"))],
        &["arn:{p}:ec2:{r}:{a}:volume/{id}"], true)),
    // The same two requests on a security group, as the Load Balancer
    // Controller tags the groups it made: a later row of an action aims its
    // request at another resource type (`catalogue::retargets`), derived only
    // where a policy grants the action on that type.
    tagging(ec2("ec2:CreateTags", "CreateTags", &[("ResourceId.1", V::Id(Ec2Id::SecurityGroup)), ("Tag.1.Key", V::Lit("irsa-verify-probe")), ("Tag.1.Value", V::Lit("dry-run"))],
        &["arn:{p}:ec2:{r}:{a}:security-group/{id}"], false)),
    tagging(ec2("ec2:DeleteTags", "DeleteTags", &[("ResourceId.1", V::Id(Ec2Id::SecurityGroup)), ("Tag.1.Key", V::Lit("irsa-verify-probe"))],
        &["arn:{p}:ec2:{r}:{a}:security-group/{id}"], true)),
    // On an instance, as Karpenter names the nodes it launched: its grant
    // lets it set only the keys it lists (ForAllValues aws:TagKeys), so the
    // key is one of those, karpenter.sh/nodeclaim; the value says whose.
    tagging(ec2("ec2:CreateTags", "CreateTags", &[("ResourceId.1", V::Id(Ec2Id::Instance)), ("Tag.1.Key", V::Lit("karpenter.sh/nodeclaim")), ("Tag.1.Value", V::Lit("irsa-verify-probe"))],
        &["arn:{p}:ec2:{r}:{a}:instance/{id}"], false)),
    ec2_create("ec2:CreateSecurityGroup", "CreateSecurityGroup", CREATE_SECURITY_GROUP,
        &["arn:{p}:ec2:{r}:{a}:security-group/*", "arn:{p}:ec2:{r}:{a}:vpc/{id}"], "security-group"),
    ec2("ec2:DeleteSecurityGroup", "DeleteSecurityGroup", &[("GroupId", V::Id(Ec2Id::SecurityGroup))], &["arn:{p}:ec2:{r}:{a}:security-group/{id}"], true),
    ec2("ec2:AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupIngress", SG_RULE, &["arn:{p}:ec2:{r}:{a}:security-group/{id}"], false),
    ec2("ec2:RevokeSecurityGroupIngress", "RevokeSecurityGroupIngress", SG_RULE, &["arn:{p}:ec2:{r}:{a}:security-group/{id}"], true),
    ec2("ec2:TerminateInstances", "TerminateInstances", &[("InstanceId.1", V::Id(Ec2Id::Instance))], &["arn:{p}:ec2:{r}:{a}:instance/{id}"], true),
    ec2("ec2:DeleteLaunchTemplate", "DeleteLaunchTemplate", &[("LaunchTemplateId", V::Id(Ec2Id::LaunchTemplate))], &["arn:{p}:ec2:{r}:{a}:launch-template/{id}"], true),

    // The VPC CNI's network interfaces (DryRun).
    ec2_create("ec2:CreateNetworkInterface", "CreateNetworkInterface", &[("SubnetId", V::Id(Ec2Id::Subnet))],
        &["arn:{p}:ec2:{r}:{a}:network-interface/*", "arn:{p}:ec2:{r}:{a}:subnet/{id}"], "network-interface"),
    ec2("ec2:DeleteNetworkInterface", "DeleteNetworkInterface", &[("NetworkInterfaceId", V::Id(Ec2Id::NetworkInterface))],
        &["arn:{p}:ec2:{r}:{a}:network-interface/{id}"], true),
    ec2("ec2:AttachNetworkInterface", "AttachNetworkInterface",
        &[("NetworkInterfaceId", V::Id(Ec2Id::NetworkInterface)), ("InstanceId", V::Id(Ec2Id::Instance)), ("DeviceIndex", V::Lit("15"))],
        &["arn:{p}:ec2:{r}:{a}:instance/{id}", "arn:{p}:ec2:{r}:{a}:network-interface/{id}"], false),
    // Names the attachment; AWS authorizes it on the instance and the
    // interface the attachment joins (Service Authorization Reference).
    ec2("ec2:DetachNetworkInterface", "DetachNetworkInterface", &[("AttachmentId", V::Id(Ec2Id::NetworkInterfaceAttachment))],
        &["arn:{p}:ec2:{r}:{a}:instance/{id}", "arn:{p}:ec2:{r}:{a}:network-interface/{id}"], true),
    ec2("ec2:ModifyNetworkInterfaceAttribute", "ModifyNetworkInterfaceAttribute",
        &[("NetworkInterfaceId", V::Id(Ec2Id::NetworkInterface)), ("SourceDestCheck.Value", V::Lit("true"))],
        &["arn:{p}:ec2:{r}:{a}:network-interface/{id}"], false),
    // Karpenter's launches and price reads (DryRun). A launch names the
    // image, subnet and security group it uses and creates the instance,
    // its volume and its interface; each is authorized.
    ec2_create("ec2:RunInstances", "RunInstances",
        &[("ImageId", V::Id(Ec2Id::Image)), ("InstanceType", V::Lit("t3.micro")), ("MinCount", V::Lit("1")), ("MaxCount", V::Lit("1")),
          ("SubnetId", V::Id(Ec2Id::Subnet)), ("SecurityGroupId.1", V::Id(Ec2Id::SecurityGroup))],
        &["arn:{p}:ec2:{r}:{a}:instance/*", "arn:{p}:ec2:{r}:{a}:volume/*", "arn:{p}:ec2:{r}:{a}:network-interface/*",
          "arn:{p}:ec2:{r}::image/{id}", "arn:{p}:ec2:{r}:{a}:subnet/{id}", "arn:{p}:ec2:{r}:{a}:security-group/{id}"], "instance"),
    ec2_create("ec2:CreateFleet", "CreateFleet",
        &[("Type", V::Lit("instant")), ("LaunchTemplateConfigs.1.LaunchTemplateSpecification.LaunchTemplateId", V::Id(Ec2Id::LaunchTemplate)),
          ("LaunchTemplateConfigs.1.LaunchTemplateSpecification.Version", V::Lit("$Default")),
          ("TargetCapacitySpecification.TotalTargetCapacity", V::Lit("1")), ("TargetCapacitySpecification.DefaultTargetCapacityType", V::Lit("on-demand"))],
        &["arn:{p}:ec2:{r}:{a}:fleet/*", "arn:{p}:ec2:{r}:{a}:instance/*", "arn:{p}:ec2:{r}:{a}:launch-template/{id}"], "fleet"),
    ec2_create("ec2:CreateLaunchTemplate", "CreateLaunchTemplate", CREATE_LAUNCH_TEMPLATE,
        &["arn:{p}:ec2:{r}:{a}:launch-template/*"], "launch-template"),
    // ec2:CreateTags on what a create makes: the create's own DryRun, carrying
    // tags (`Row::tags_on_create`). Only an allowed answer tells (Tells::AllowOnly).
    on_create(ec2_create("ec2:CreateTags", "CreateSecurityGroup", CREATE_SECURITY_GROUP,
        &["arn:{p}:ec2:{r}:{a}:security-group/*", "arn:{p}:ec2:{r}:{a}:vpc/{id}"], "security-group")),
    on_create(ec2_create("ec2:CreateTags", "CreateVolume", CREATE_VOLUME, &["arn:{p}:ec2:{r}:{a}:volume/*"], "volume")),
    on_create(ec2_create("ec2:CreateTags", "CreateLaunchTemplate", CREATE_LAUNCH_TEMPLATE,
        &["arn:{p}:ec2:{r}:{a}:launch-template/*"], "launch-template")),
    ec2("ec2:DescribeSpotPriceHistory", "DescribeSpotPriceHistory", &[("MaxResults", V::Lit("5")), ("InstanceType.1", V::Lit("t3.micro"))], ANY, false),
    ec2("ec2:DescribeInstanceTypeOfferings", "DescribeInstanceTypeOfferings", &[("MaxResults", V::Lit("5"))], ANY, false),
    ec2("ec2:DescribeCapacityReservations", "DescribeCapacityReservations", &[("MaxResults", V::Lit("5"))], ANY, false),
    ec2("ec2:DescribeInstanceStatus", "DescribeInstanceStatus", &[("MaxResults", V::Lit("5"))], ANY, false),
    ec2("ec2:DescribePlacementGroups", "DescribePlacementGroups", &[], ANY, false),

    // Elastic Load Balancing v2.
    read("elasticloadbalancing:DescribeLoadBalancers", &ELBV2, "DescribeLoadBalancers", TargetKind::Account, &[("PageSize", V::Lit("1"))], ANY, ELBV2_READS),
    read("elasticloadbalancing:DescribeTargetGroups", &ELBV2, "DescribeTargetGroups", TargetKind::Account, &[("PageSize", V::Lit("1"))], ANY, ELBV2_READS),
    read("elasticloadbalancing:DescribeSSLPolicies", &ELBV2, "DescribeSSLPolicies", TargetKind::Account, &[("Names.member.1", V::Lit("ELBSecurityPolicy-2016-08"))], ANY, ELBV2_READS),
    read("elasticloadbalancing:DescribeAccountLimits", &ELBV2, "DescribeAccountLimits", TargetKind::Account, &[], ANY, ELBV2_READS),
    Row {
        action: "elasticloadbalancing:DeleteLoadBalancer",
        target: TargetKind::Account,
        probe: Probe::Wire(Wire { service: &ELBV2, op: "DeleteLoadBalancer", method: "POST", path: "/", params: &[("LoadBalancerArn", MADE_UP_LB)], xml: None, dry_run: false, tags_for: None }),
        resources: &["arn:{p}:elasticloadbalancing:{r}:{a}:loadbalancer/app/irsa-verify-probe/{random16}"],
        allowed: &[],
        tells: Tells::Both,
        harmless: "on a made-up load balancer ARN: there is nothing to delete",
        basis: "Elastic Load Balancing API reference, DeleteLoadBalancer: \"If the load balancer does not exist or has already been deleted, the call \
                succeeds.\" (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_DeleteLoadBalancer.html)",
        destructive: true,
    },
    deny_only("elasticloadbalancing:DeleteTargetGroup", &ELBV2, "DeleteTargetGroup", &[("TargetGroupArn", MADE_UP_TG)],
        &["arn:{p}:elasticloadbalancing:{r}:{a}:targetgroup/irsa-verify-probe/{random16}"], "on a made-up target group ARN: there is nothing to delete", true),
    deny_only("elasticloadbalancing:DeleteListener", &ELBV2, "DeleteListener", &[("ListenerArn", MADE_UP_LISTENER)],
        &["arn:{p}:elasticloadbalancing:{r}:{a}:listener/app/irsa-verify-probe/{random16}/{random16}"], "on a made-up listener ARN: there is nothing to delete", true),

    read("elasticloadbalancing:DescribeTrustStores", &ELBV2, "DescribeTrustStores", TargetKind::Account, &[("PageSize", V::Lit("1"))], ANY, ELBV2_READS),
    // On the first load balancer, target group or listener the role lists.
    read("elasticloadbalancing:DescribeLoadBalancerAttributes", &ELBV2, "DescribeLoadBalancerAttributes", TargetKind::Account, &[("LoadBalancerArn", V::Found(Found::LoadBalancer))], ANY, ELBV2_READS),
    read("elasticloadbalancing:DescribeListeners", &ELBV2, "DescribeListeners", TargetKind::Account, &[("LoadBalancerArn", V::Found(Found::LoadBalancer))], ANY, ELBV2_READS),
    read("elasticloadbalancing:DescribeTags", &ELBV2, "DescribeTags", TargetKind::Account, &[("ResourceArns.member.1", V::Found(Found::LoadBalancer))], ANY, ELBV2_READS),
    read("elasticloadbalancing:DescribeCapacityReservation", &ELBV2, "DescribeCapacityReservation", TargetKind::Account, &[("LoadBalancerArn", V::Found(Found::LoadBalancer))], ANY, ELBV2_READS),
    read("elasticloadbalancing:DescribeTargetGroupAttributes", &ELBV2, "DescribeTargetGroupAttributes", TargetKind::Account, &[("TargetGroupArn", V::Found(Found::TargetGroup))], ANY, ELBV2_READS),
    read("elasticloadbalancing:DescribeTargetHealth", &ELBV2, "DescribeTargetHealth", TargetKind::Account, &[("TargetGroupArn", V::Found(Found::TargetGroup))], ANY, ELBV2_READS),
    read("elasticloadbalancing:DescribeListenerAttributes", &ELBV2, "DescribeListenerAttributes", TargetKind::Account, &[("ListenerArn", V::Found(Found::Listener))], ANY, ELBV2_READS),
    read("elasticloadbalancing:DescribeListenerCertificates", &ELBV2, "DescribeListenerCertificates", TargetKind::Account, &[("ListenerArn", V::Found(Found::Listener))], ANY, ELBV2_READS),
    read("elasticloadbalancing:DescribeRules", &ELBV2, "DescribeRules", TargetKind::Account, &[("ListenerArn", V::Found(Found::Listener))], ANY, ELBV2_READS),

    // Writes: a documented no-op on the listener, rule or target group found
    // (allow and deny), else deny-only on made-up ARNs.
    elb_no_op("elasticloadbalancing:ModifyListener", "ModifyListener", &[("ListenerArn", V::Found(Found::Listener))], &[ELB_LISTENER],
        "ModifyListener naming the listener and no property: nothing is replaced, so nothing changes",
        "Elastic Load Balancing API reference, ModifyListener: \"Replaces the specified properties of the specified listener. Any properties \
         that you do not specify remain unchanged.\"; ListenerArn is its one required parameter \
         (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_ModifyListener.html)", false),
    elb_no_op("elasticloadbalancing:ModifyRule", "ModifyRule", &[("RuleArn", V::Found(Found::Rule))], &[ELB_RULE],
        "ModifyRule naming a rule of the listener (not its default rule) and no property: nothing is replaced, so nothing changes",
        "Elastic Load Balancing API reference, ModifyRule: \"Replaces the specified properties of the specified rule. Any properties that you \
         do not specify are unchanged.\"; RuleArn is its one required parameter, and \"To modify the actions for the default rule, use \
         ModifyListener\", so the rule named is not the default one (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_ModifyRule.html)", false),
    elb_no_op("elasticloadbalancing:RemoveTags", "RemoveTags",
        &[("ResourceArns.member.1", V::Found(Found::Listener)), ("ResourceArns.member.2", V::Found(Found::Rule)), ("TagKeys.member.1", V::Random)],
        &[ELB_LISTENER, ELB_RULE],
        "RemoveTags of a random tag key (irsa-verify-probe-<random>) from the listener and one of its rules: neither carries that key, so no tag is removed",
        "Elastic Load Balancing API reference, RemoveTags: \"Removes the specified tags from the specified Elastic Load Balancing resources. You \
         can remove the tags for one or more Application Load Balancers, Network Load Balancers, Gateway Load Balancers, target groups, \
         listeners, or rules.\"; only the keys named are removed, and the errors it lists name none for a key a resource does not carry \
         (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_RemoveTags.html)", true),
    elb_no_op("elasticloadbalancing:AddListenerCertificates", "AddListenerCertificates",
        &[("ListenerArn", V::Found(Found::Listener)), ("Certificates.member.1.CertificateArn", V::Found(Found::ListenerCertificate))],
        &[ELB_LISTENER],
        "re-adds a certificate that the listener's certificate list already holds (DescribeListenerCertificates, IsDefault false, read right \
         before): the call adds nothing. Race window: were that certificate taken off the list by someone else between the read and this \
         call (one round trip), the call would put it back",
        "Elastic Load Balancing API reference, AddListenerCertificates: \"If the certificate in already in the certificate list, the call is \
         successful but the certificate is not added again.\" (AWS's wording); DescribeListenerCertificates: \"If the default certificate is \
         also in the certificate list, it appears twice in the results (once with IsDefault set to true and once with IsDefault set to \
         false)\", so one listed with IsDefault false is in the list \
         (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_AddListenerCertificates.html, \
         https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_DescribeListenerCertificates.html)", false),
    elb_no_op("elasticloadbalancing:DeregisterTargets", "DeregisterTargets",
        &[("TargetGroupArn", V::Found(Found::InstanceTargetGroup)), ("Targets.member.1.Id", MADE_UP_INSTANCE)],
        &[ELB_TARGET_GROUP],
        "DeregisterTargets of a made-up instance ID (i-0<random>) from a target group of target type instance: no such instance exists, so \
         no target is deregistered",
        "Elastic Load Balancing API reference, DeregisterTargets: \"Note: If the specified target does not exist, the action returns \
         successfully.\" (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_DeregisterTargets.html)", true),
    // Attribute write-backs: one attribute key, with the value its Describe
    // read lists right before, on the load balancer, target group or listener
    // found (or the one picked by its tags).
    elb_no_op("elasticloadbalancing:ModifyLoadBalancerAttributes", "ModifyLoadBalancerAttributes",
        &[("LoadBalancerArn", V::Found(Found::LoadBalancer)), ("Attributes.member.1.Key", V::AttrKey(Attr::LoadBalancer)),
          ("Attributes.member.1.Value", V::AttrValue(Attr::LoadBalancer))],
        &[ELB_LOAD_BALANCER],
        "writes back one attribute (deletion_protection.enabled) with the value DescribeLoadBalancerAttributes listed for that load balancer \
         right before: the attribute keeps its value, and every other attribute is left as it is. Race window: the one round trip between \
         the read and the write; were the attribute changed by someone else in it, the write would put back the value read",
        "Elastic Load Balancing API reference, ModifyLoadBalancerAttributes: \"Modifies the specified attributes of the specified Application \
         Load Balancer, Network Load Balancer, or Gateway Load Balancer. If any of the specified attributes can't be modified as requested, \
         the call fails. Any existing attributes that you do not modify retain their current values.\" \
         (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_ModifyLoadBalancerAttributes.html)", false),
    elb_no_op("elasticloadbalancing:ModifyTargetGroupAttributes", "ModifyTargetGroupAttributes",
        &[("TargetGroupArn", V::Found(Found::TargetGroup)), ("Attributes.member.1.Key", V::AttrKey(Attr::TargetGroup)),
          ("Attributes.member.1.Value", V::AttrValue(Attr::TargetGroup))],
        &[ELB_TARGET_GROUP],
        "writes back one attribute (deregistration_delay.timeout_seconds, else stickiness.enabled) with the value \
         DescribeTargetGroupAttributes listed for that target group right before: the attribute keeps its value, and no other is named. \
         Race window: the one round trip between the read and the write; were the attribute changed by someone else in it, the write \
         would put back the value read",
        "Elastic Load Balancing API reference, ModifyTargetGroupAttributes: \"Modifies the specified attributes of the specified target \
         group.\"; the one attribute specified is given the value just read \
         (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_ModifyTargetGroupAttributes.html)", false),
    elb_no_op("elasticloadbalancing:ModifyListenerAttributes", "ModifyListenerAttributes",
        &[("ListenerArn", V::Found(Found::Listener)), ("Attributes.member.1.Key", V::AttrKey(Attr::Listener)),
          ("Attributes.member.1.Value", V::AttrValue(Attr::Listener))],
        &[ELB_LISTENER],
        "writes back one attribute (tcp.idle_timeout.seconds, else routing.http.response.server.enabled) with the value \
         DescribeListenerAttributes listed for that listener right before: the attribute keeps its value, and no other is named. \
         Race window: the one round trip between the read and the write; were the attribute changed by someone else in it, the write \
         would put back the value read",
        "Elastic Load Balancing API reference, ModifyListenerAttributes: \"Modifies the specified attributes of the specified \
         listener.\"; the one attribute specified is given the value just read \
         (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_ModifyListenerAttributes.html)", false),
    // Setting write-backs: one setting that is its own parameter, with the
    // value its Describe lists right before (one of the values its API
    // documents), on the target group or load balancer found (or picked by
    // its tags).
    elb_no_op("elasticloadbalancing:ModifyTargetGroup", "ModifyTargetGroup",
        &[("TargetGroupArn", V::Found(Found::TargetGroup)), ("HealthCheckEnabled", V::AttrValue(Attr::HealthCheckEnabled))],
        &[ELB_TARGET_GROUP],
        "writes back HealthCheckEnabled (true or false) with the value DescribeTargetGroups listed for that target group right before, and \
         names no other health check setting: the one setting named keeps its value. Race window: the one round trip between the read and \
         the write; were the setting changed by someone else in it, the write would put back the value read",
        "Elastic Load Balancing API reference, ModifyTargetGroup: \"Modifies the health checks used when evaluating the health state of the \
         targets in the specified target group.\"; TargetGroupArn is its one required parameter, and the one setting specified is given \
         the value just read (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_ModifyTargetGroup.html)", false),
    elb_no_op("elasticloadbalancing:SetIpAddressType", "SetIpAddressType",
        &[("LoadBalancerArn", V::Found(Found::LoadBalancer)), ("IpAddressType", V::AttrValue(Attr::IpAddressType))],
        &[ELB_LOAD_BALANCER],
        "writes back IpAddressType (ipv4, dualstack or dualstack-without-public-ipv4) with the value DescribeLoadBalancers listed for that \
         load balancer right before: the load balancer keeps the type it has. Race window: the one round trip between the read and the \
         write; were the type changed by someone else in it, the write would put back the value read",
        "Elastic Load Balancing API reference, SetIpAddressType: \"Sets the type of IP addresses used by the subnets of the specified load \
         balancer.\"; the type set is the one just read \
         (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_SetIpAddressType.html)", false),
    elb_no_op("elasticloadbalancing:RemoveListenerCertificates", "RemoveListenerCertificates",
        &[("ListenerArn", V::Found(Found::HttpsListener)), ("Certificates.member.1.CertificateArn", V::MadeUp("arn:{p}:acm:{r}:{a}:certificate/{uuid}"))],
        &[ELB_LISTENER],
        "removes a made-up certificate (an ACM ARN with a random UUID, which no certificate has) from the HTTPS listener found: that \
         certificate is not in its list, so no certificate is removed",
        "Elastic Load Balancing API reference: \"All Elastic Load Balancing operations are idempotent, which means that they complete at most \
         one time. If you repeat an operation, it succeeds.\"; RemoveListenerCertificates: \"Removes the specified certificate from the \
         certificate list for the specified HTTPS or TLS listener.\", and the errors it lists are ListenerNotFound and OperationNotPermitted, \
         none for a certificate the list does not hold (unlike AddListenerCertificates' CertificateNotFound) \
         (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_RemoveListenerCertificates.html, \
         https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/Welcome.html)", true),
    elb_no_op("elasticloadbalancing:SetRulePriorities", "SetRulePriorities",
        &[("RulePriorities.member.1.RuleArn", V::Found(Found::Rule)), ("RulePriorities.member.1.Priority", V::AttrValue(Attr::RulePriority))],
        &[ELB_RULE],
        "writes back the priority of a rule of the listener found (not its default rule) with the value DescribeRules listed for it right \
         before, and names no other rule: the rule keeps its priority, and every other keeps its own. Race window: the one round trip \
         between the read and the write; were that rule's priority changed by someone else in it, the write would put back the value read",
        "Elastic Load Balancing API reference, SetRulePriorities: \"Sets the priorities of the specified rules. You can reorder the rules as \
         long as there are no priority conflicts in the new order. Any existing rules that you do not specify retain their current \
         priority.\"; the one rule specified is given the priority just read, which no other rule holds \
         (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_SetRulePriorities.html)", false),
    elb_no_op("elasticloadbalancing:AddTags", "AddTags",
        &[("ResourceArns.member.1", V::Found(Found::Listener)), ("Tags.member.1.Key", V::AttrKey(Attr::ListenerTag)),
          ("Tags.member.1.Value", V::AttrValue(Attr::ListenerTag))],
        &[ELB_LISTENER],
        "writes back one tag the listener carries (not aws:, with a value), with the value DescribeTags listed for it right before: the \
         value is updated to itself. Race window: the one round trip between the read and the write; were that tag's value changed by \
         someone else in it, the write would put back the value read",
        "Elastic Load Balancing API reference, AddTags: \"Each tag consists of a key and an optional value. If a resource already has a tag \
         with the same key, AddTags updates its value.\" Tags.member.N takes at least one tag, so no form names none; DescribeTags lists a \
         resource's tags (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_AddTags.html, \
         https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_DescribeTags.html)", false),
    elb_deny_only("elasticloadbalancing:RegisterTargets", "RegisterTargets", &[("TargetGroupArn", MADE_UP_TG), ("Targets.member.1.Id", MADE_UP_INSTANCE)],
        &[MADE_UP_TG_ARN], "on a made-up target group ARN, naming a made-up instance: nothing is registered",
        "Elastic Load Balancing API reference, RegisterTargets lists TargetGroupNotFound (\"The specified target group does not exist.\") but \
         not whether it authorizes first, so only a denial tells (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_RegisterTargets.html)", false),
    elb_no_op("elasticloadbalancing:CreateListener", "CreateListener",
        &[("LoadBalancerArn", V::Found(Found::LoadBalancer)), ("*", V::SameAs(Copied::Listener))],
        &[ELB_LOAD_BALANCER],
        "creates, on the load balancer found, a listener with every setting of one it has (its port, protocol, certificate, \
         security policy and default actions, as DescribeListeners listed them right before): that listener exists, so nothing is \
         created, and a listener whose settings differ on that port is refused (DuplicateListener), not added. Race window: were that \
         listener deleted by someone else between the read and the call (one round trip), the call would create it again; the answer \
         names the listener, and one other than the listener read is reported as created",
        "Elastic Load Balancing API reference, CreateListener: \"This operation is idempotent, which means that it completes at most one \
         time. If you attempt to create multiple listeners with the same settings, each call succeeds.\"; DuplicateListener: \"A listener \
         with the specified port already exists.\" (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateListener.html)", false),
    elb_deny_only("elasticloadbalancing:CreateRule", "CreateRule",
        &[("ListenerArn", MADE_UP_LISTENER), ("Priority", V::Lit("50000")),
          ("Conditions.member.1.Field", V::Lit("path-pattern")), ("Conditions.member.1.PathPatternConfig.Values.member.1", V::MadeUp("/irsa-verify-probe-{random}")),
          ("Actions.member.1.Type", V::Lit("fixed-response")), ("Actions.member.1.FixedResponseConfig.StatusCode", V::Lit("404"))],
        &[MADE_UP_LISTENER_ARN], "on a made-up listener ARN: no rule can be created",
        "Elastic Load Balancing API reference, CreateRule lists ListenerNotFound (\"The specified listener does not exist.\") but not whether \
         it authorizes first, so only a denial tells (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateRule.html)", false),
    elb_deny_only("elasticloadbalancing:DeleteRule", "DeleteRule", &[("RuleArn", MADE_UP_RULE)],
        &[MADE_UP_RULE_ARN], "on a made-up rule ARN: there is nothing to delete",
        "Elastic Load Balancing API reference, DeleteRule lists RuleNotFound (\"The specified rule does not exist.\") but not whether it \
         authorizes first, so only a denial tells (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_DeleteRule.html)", true),

    // EC2 Auto Scaling.
    read("autoscaling:DescribeAutoScalingGroups", &AUTOSCALING, "DescribeAutoScalingGroups", TargetKind::Account, &[("MaxRecords", V::Lit("1"))], ANY, ASG_READS),
    read("autoscaling:DescribeAutoScalingInstances", &AUTOSCALING, "DescribeAutoScalingInstances", TargetKind::Account, &[("MaxRecords", V::Lit("1"))], ANY, ASG_READS),
    read("autoscaling:DescribeLaunchConfigurations", &AUTOSCALING, "DescribeLaunchConfigurations", TargetKind::Account, &[("MaxRecords", V::Lit("1"))], ANY, ASG_READS),
    read("autoscaling:DescribeScalingActivities", &AUTOSCALING, "DescribeScalingActivities", TargetKind::Account, &[("MaxRecords", V::Lit("1"))], ANY, ASG_READS),
    read("autoscaling:DescribeTags", &AUTOSCALING, "DescribeTags", TargetKind::Account, &[("MaxRecords", V::Lit("1"))], ANY, ASG_READS),
    // A write-back on the first group listed.
    Row {
        harmless: "writes back the desired capacity of the first Auto Scaling group DescribeAutoScalingGroups lists, with the value it \
                   listed for that group right before: the group keeps the capacity it has, so no instance is launched or terminated. \
                   Race window: the one round trip between the read and the write; were the capacity changed by someone else in it (a \
                   cluster autoscaler scaling out), the write would put back the value read, until that scaler sets it again",
        basis: "Amazon EC2 Auto Scaling API reference, SetDesiredCapacity: \"Sets the size of the specified Auto Scaling group. If a scale-in \
                activity occurs as a result of a new DesiredCapacity value that is lower than the current size of the group, the Auto Scaling \
                group uses its termination policy to determine which instances to terminate.\"; DesiredCapacity: \"The desired capacity is the \
                initial capacity of the Auto Scaling group after this operation completes and the capacity it attempts to maintain.\"; the \
                capacity set is the one just read (https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_SetDesiredCapacity.html)",
        destructive: true,
        ..wire("autoscaling:SetDesiredCapacity", TargetKind::Account, &AUTOSCALING, "SetDesiredCapacity",
            &[("AutoScalingGroupName", V::Found(Found::AutoScalingGroup)), ("DesiredCapacity", V::AttrValue(Attr::DesiredCapacity))],
            &["arn:{p}:autoscaling:{r}:{a}:autoScalingGroup:{id}:autoScalingGroupName/{id}"])
    },

    // Secrets Manager: never a value.
    read("secretsmanager:ListSecrets", &SECRETSMANAGER, "ListSecrets", TargetKind::Account, &[("MaxResults", V::Num(1))], ANY,
         "Secrets Manager API reference, ListSecrets: metadata only, never a value"),
    read("secretsmanager:DescribeSecret", &SECRETSMANAGER, "DescribeSecret", TargetKind::Named(Kind::Secret), &[("SecretId", V::Name)], &[SM_SECRET],
         "Secrets Manager API reference, DescribeSecret: metadata only, never a value"),
    read("secretsmanager:ListSecretVersionIds", &SECRETSMANAGER, "ListSecretVersionIds", TargetKind::Named(Kind::Secret), &[("SecretId", V::Name), ("MaxResults", V::Num(1))], &[SM_SECRET],
         "Secrets Manager API reference, ListSecretVersionIds: version IDs and stages, never a value"),
    read("secretsmanager:GetResourcePolicy", &SECRETSMANAGER, "GetResourcePolicy", TargetKind::Named(Kind::Secret), &[("SecretId", V::Name)], &[SM_SECRET], SM_API),
    Row {
        action: "secretsmanager:GetSecretValue",
        target: TargetKind::Named(Kind::Secret),
        probe: Probe::Wire(Wire { service: &SECRETSMANAGER, op: "GetSecretValue", method: "POST", path: "/", params: &[("SecretId", V::Name), ("VersionId", V::Uuid)], xml: None, dry_run: false, tags_for: None }),
        resources: &[SM_SECRET],
        allowed: &[],
        // A secret a policy names by a pattern: a made-up secret of that
        // name, which the pattern covers, by its full ARN. It does not
        // exist, so nothing is read; and AWS documents that such a request
        // is answered by the permissions.
        tells: Tells::DenialOnlyBut(Otherwise {
            on: OtherTarget::PatternSecret,
            params: &[("SecretId", V::MadeUp(SM_MADE_UP_SECRET))],
            resources: &[SM_MADE_UP_SECRET],
            allowed: &[AuthorizedError::code("ResourceNotFoundException")],
        }),
        harmless: "asks for a random version ID of the real secret: no such version exists, so no value is returned (and any answer body is dropped \
                   unread); on a secret a policy names by a pattern (NAME-??????, NAME-*), asks instead for a made-up secret of that name by its full \
                   ARN, NAME-<6 random characters>: no secret has that ARN, so there is no value to return and the real secret is not touched (its \
                   last-accessed date does not move)",
        basis: "Secrets Manager API reference, GetSecretValue: a missing version gives ResourceNotFoundException, and AWS does not document that it \
                authorizes first, so on the real secret only a denial tells (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html). \
                For a made-up secret's ARN AWS documents the order, in the SecretId text its API model carried for every Secrets Manager operation \
                until 2021: \"If you do include the random suffix added by Secrets Manager, you receive either a ResourceNotFoundException or an \
                AccessDeniedException error, depending on your permissions.\" (AWS SDK for Java 1.11.961, GetSecretValueRequest.secretId, \
                https://javadoc.io/static/com.amazonaws/aws-java-sdk-secretsmanager/1.11.961/serialized-form.html); a name ending in a hyphen and six \
                characters is taken as a complete ARN (same text)",
        destructive: false,
    },
    Row {
        action: "secretsmanager:BatchGetSecretValue",
        target: TargetKind::Account,
        // A SecretIdList, not Filters: with Filters AWS also requires
        // secretsmanager:ListSecrets, so a denial would not tell which one.
        probe: Probe::Wire(Wire { service: &SECRETSMANAGER, op: "BatchGetSecretValue", method: "POST", path: "/",
            params: &[("SecretIdList", V::Raw(r#"["irsa-verify-probe-{random}"]"#))], xml: None, dry_run: false, tags_for: None }),
        resources: ANY,
        allowed: &[],
        tells: Tells::Both,
        harmless: "names one random secret that does not exist: the answer lists it under Errors, so no value",
        basis: "Secrets Manager API reference, BatchGetSecretValue: \"Required permissions: secretsmanager:BatchGetSecretValue, and you must have \
                secretsmanager:GetSecretValue for each secret. If you use filters, you must also have secretsmanager:ListSecrets\"; errors for \
                single secrets are listed in Errors of the answer (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_BatchGetSecretValue.html)",
        destructive: false,
    },

    Row {
        action: "secretsmanager:UntagResource",
        target: TargetKind::Named(Kind::Secret),
        probe: Probe::Wire(Wire { service: &SECRETSMANAGER, op: "UntagResource", method: "POST", path: "/",
            params: &[("SecretId", V::Name), ("TagKeys", V::Raw(r#"["irsa-verify-probe-{random}"]"#))], xml: None, dry_run: false, tags_for: None }),
        resources: &[SM_SECRET],
        allowed: &[],
        tells: Tells::Both,
        harmless: "removes one random tag key that the secret does not carry: no tag is removed, the value is never touched",
        basis: "Secrets Manager API reference, UntagResource: removes the listed tag keys from the secret; a 2xx is the proof, any other answer \
                could not tell (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_UntagResource.html)",
        destructive: false,
    },
    // A secret that does not exist has no random suffix to authorize on.
    deny_only("secretsmanager:DeleteSecret", &SECRETSMANAGER, "DeleteSecret", &[("SecretId", V::MadeUp("irsa-verify-probe-{random16}"))],
        &["arn:{p}:secretsmanager:{r}:{a}:secret:irsa-verify-probe-{random16}"],
        "on a made-up secret name, with the default recovery window (never ForceDeleteWithoutRecovery): there is nothing to delete", true),

    // Systems Manager Parameter Store: never a value.
    read("ssm:DescribeParameters", &SSM, "DescribeParameters", TargetKind::Account, &[("MaxResults", V::Num(1))], ANY, "Systems Manager API reference, DescribeParameters: metadata only"),
    Row {
        action: "ssm:GetParametersByPath",
        target: TargetKind::Named(Kind::ParameterPath),
        // The path the grant is for, as the workload calls it: AWS authorizes
        // the call on `parameter/PATH`, which a `parameter/PATH/*` grant does
        // not cover. A label no parameter carries keeps every value out.
        probe: Probe::Wire(Wire { service: &SSM, op: "GetParametersByPath", method: "POST", path: "/",
            params: &[("Path", V::Name), ("ParameterFilters", V::Raw(r#"[{"Key":"Label","Option":"Equals","Values":["irsa-verify-probe-{random}"]}]"#)),
                      ("WithDecryption", V::Raw("false")), ("MaxResults", V::Num(1))], xml: None, dry_run: false, tags_for: None }),
        resources: &["arn:{p}:ssm:{r}:{a}:parameter/{name}"],
        allowed: &[],
        tells: Tells::Both,
        harmless: "the granted path itself, filtered on a random label that no parameter carries: the answer lists no parameter, so no value",
        basis: "Systems Manager API reference, GetParametersByPath and ParameterStringFilter: \"The following Key values are supported for \
                GetParametersByPath: Type, KeyId, and Label\" (Label with Equals); the call is authorized on the path it names \
                (https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_ParameterStringFilter.html)",
        destructive: false,
    },
    Row {
        action: "ssm:GetParameters",
        target: TargetKind::Named(Kind::Parameter),
        probe: Probe::Wire(Wire { service: &SSM, op: "GetParameters", method: "POST", path: "/", params: &[("Names", V::Raw(r#"["{name}:999999"]"#))], xml: None, dry_run: false, tags_for: None }),
        resources: &[SSM_PARAM],
        allowed: &[],
        tells: Tells::Both,
        harmless: "the real parameter at a version that does not exist: it comes back in InvalidParameters, with no value",
        basis: "Systems Manager API reference, GetParameters: names it cannot return are listed in InvalidParameters of a 200 answer \
                (https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParameters.html)",
        destructive: false,
    },
    Row {
        action: "ssm:GetParameter",
        target: TargetKind::Named(Kind::Parameter),
        probe: Probe::Wire(Wire { service: &SSM, op: "GetParameter", method: "POST", path: "/", params: &[("Name", V::NameThen(":999999"))], xml: None, dry_run: false, tags_for: None }),
        resources: &[SSM_PARAM],
        allowed: &[],
        // An AWS public parameter is read as it is: its value is AWS's,
        // published for anyone, so the plain read changes and discloses
        // nothing, and its 200 proves the grant.
        tells: Tells::DenialOnlyBut(Otherwise { on: OtherTarget::PublicParameter, params: &[("Name", V::Name)], resources: &[SSM_PARAM], allowed: &[] }),
        harmless: "the real parameter at a version that does not exist: ParameterVersionNotFound, no value; an AWS public parameter (/aws/service/...) \
                   is read as it is: AWS publishes its value (an AMI ID) for anyone, and the answer body is dropped unread all the same",
        basis: "Systems Manager API reference, GetParameter lists ParameterVersionNotFound; it does not document that it authorizes first, so only a denial \
                tells. On an AWS public parameter a 200 is the proof, judged on the parameter's ARN, which has no account. The parameter read is \
                /aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64: Amazon Linux 2023 User Guide, \"Launching AL2023 using the SSM \
                parameter and AWS CLI\": \"use one of the dynamic SSM parameter values from the following list, and add \
                /aws/service/ami-amazon-linux-latest/ before the SSM parameter value\", \"al2023-ami-kernel-default-x86_64 for x86_64 architecture\". \
                Its ARN has no account as the Systems Manager User Guide shows for that path, \"Calling AMI public parameters\": \"Amazon Linux and \
                Amazon Linux 2: /aws/service/ami-amazon-linux-latest\", its example answer listing \"Name\": \
                \"/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-x86_64-gp2\" with \"ARN\": \
                \"arn:aws:ssm:us-east-2::parameter/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-x86_64-gp2\" (Amazon Linux 2, whose support ended \
                on 2026-06-30); \"Discovering public parameters\": \"Not all public parameters are published to every AWS Region.\", so a \
                ParameterNotFound is could not tell (https://docs.aws.amazon.com/linux/al2023/ug/ec2.html, \
                https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-public-parameters-ami.html, \
                https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-finding-public-parameters.html)",
        destructive: false,
    },

    // KMS.
    read("kms:DescribeKey", &KMS, "DescribeKey", TargetKind::Named(Kind::Key), &[("KeyId", V::Name)], &[KMS_KEY], "KMS API reference, DescribeKey: key metadata"),
    kms_dry("kms:Encrypt", "Encrypt", &[("KeyId", V::Name), ("Plaintext", V::Lit("AA=="))]),
    kms_dry("kms:GenerateDataKey", "GenerateDataKey", &[("KeyId", V::Name), ("KeySpec", V::Lit("AES_256"))]),
    kms_dry("kms:GenerateDataKeyWithoutPlaintext", "GenerateDataKeyWithoutPlaintext", &[("KeyId", V::Name), ("KeySpec", V::Lit("AES_256"))]),
    kms_dry("kms:GenerateDataKeyPair", "GenerateDataKeyPair", &[("KeyId", V::Name), ("KeyPairSpec", V::Lit("ECC_NIST_P256"))]),
    kms_dry("kms:GenerateDataKeyPairWithoutPlaintext", "GenerateDataKeyPairWithoutPlaintext", &[("KeyId", V::Name), ("KeyPairSpec", V::Lit("ECC_NIST_P256"))]),
    // A grant to the caller itself, for one operation; DryRun creates none.
    kms_dry("kms:CreateGrant", "CreateGrant", &[("KeyId", V::Name), ("GranteePrincipal", V::MadeUp("arn:{p}:iam::{a}:root")), ("Operations", V::Raw(r#"["DescribeKey"]"#))]),

    // CloudWatch Logs.
    read("logs:DescribeLogGroups", &LOGS, "DescribeLogGroups", TargetKind::Account, &[("limit", V::Num(1))], &[LOGS_ALL_GROUPS],
         "CloudWatch Logs API reference, DescribeLogGroups"),
    read("logs:DescribeLogStreams", &LOGS, "DescribeLogStreams", TargetKind::Named(Kind::LogGroup), &[("logGroupName", V::Name), ("limit", V::Num(1))],
         &[LOGS_GROUP], "CloudWatch Logs API reference, DescribeLogStreams"),

    // Log shippers' writes, on a made-up group: nothing to write to.
    deny_only("logs:CreateLogStream", &LOGS, "CreateLogStream",
        &[("logGroupName", V::MadeUp("irsa-verify-probe-{random16}")), ("logStreamName", V::Lit("irsa-verify-probe"))],
        &["arn:{p}:logs:{r}:{a}:log-group:irsa-verify-probe-{random16}:log-stream:irsa-verify-probe"],
        "on a made-up log group: there is no group to create the stream in", false),
    deny_only("logs:PutLogEvents", &LOGS, "PutLogEvents",
        &[("logGroupName", V::MadeUp("irsa-verify-probe-{random16}")), ("logStreamName", V::Lit("irsa-verify-probe")),
          ("logEvents", V::Raw(r#"[{"timestamp": 1, "message": "irsa-verify probe"}]"#))],
        &["arn:{p}:logs:{r}:{a}:log-group:irsa-verify-probe-{random16}:log-stream:irsa-verify-probe"],
        "on a made-up log group and stream: there is nowhere to write the event", false),

    // ECR: the authorization token is a credential, dropped unread.
    Row {
        action: "ecr:GetAuthorizationToken",
        target: TargetKind::Account,
        probe: Probe::Wire(Wire { service: &ECR, op: "GetAuthorizationToken", method: "POST", path: "/", params: &[], xml: None, dry_run: false, tags_for: None }),
        resources: ANY,
        allowed: &[],
        tells: Tells::Both,
        harmless: "issues a registry token, which is a credential: it is dropped unread, never printed",
        basis: "ECR API reference, GetAuthorizationToken; the Service Authorization Reference: Resource \"*\" only",
        destructive: false,
    },
    read("ecr:DescribeRepositories", &ECR, "DescribeRepositories", TargetKind::Account, &[("maxResults", V::Num(1))], &["arn:{p}:ecr:{r}:{a}:repository/*"], "ECR API reference, DescribeRepositories"),

    // Route 53.
    get("route53:ListHostedZones", &ROUTE53, "ListHostedZones", TargetKind::Account, "/2013-04-01/hostedzone?maxitems=1", ANY, R53_API),
    get("route53:ListHostedZonesByName", &ROUTE53, "ListHostedZonesByName", TargetKind::Account, "/2013-04-01/hostedzonesbyname?maxitems=1", ANY, R53_API),
    get("route53:GetHostedZone", &ROUTE53, "GetHostedZone", TargetKind::Named(Kind::HostedZone), "/2013-04-01/hostedzone/{name}", &[ZONE], R53_API),
    get("route53:ListResourceRecordSets", &ROUTE53, "ListResourceRecordSets", TargetKind::Named(Kind::HostedZone), "/2013-04-01/hostedzone/{name}/rrset?maxitems=1", &[ZONE], R53_API),

    Row {
        action: "route53:ListTagsForResources",
        target: TargetKind::Named(Kind::HostedZone),
        probe: Probe::Wire(Wire { service: &ROUTE53, op: "ListTagsForResources", method: "POST", path: "/2013-04-01/tags/hostedzone", params: &[],
            xml: Some(r#"<?xml version="1.0" encoding="UTF-8"?><ListTagsForResourcesRequest xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><ResourceIds><ResourceId>{name}</ResourceId></ResourceIds></ListTagsForResourcesRequest>"#),
            dry_run: false, tags_for: None }),
        resources: &[ZONE],
        allowed: &[],
        tells: Tells::Both,
        harmless: "a read: the zone's tags, which are never printed",
        basis: "Route 53 API reference, ListTagsForResources (https://docs.aws.amazon.com/Route53/latest/APIReference/API_ListTagsForResources.html)",
        destructive: false,
    },

    Row {
        action: "route53:ChangeResourceRecordSets",
        target: TargetKind::Named(Kind::HostedZone),
        probe: Probe::Wire(Wire { service: &ROUTE53, op: "ChangeResourceRecordSets", method: "POST", path: "/2013-04-01/hostedzone/{name}/rrset/", params: &[],
            xml: Some(r#"<?xml version="1.0" encoding="UTF-8"?><ChangeResourceRecordSetsRequest xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><ChangeBatch><Comment>irsa-verify: writes a record back as listed</Comment><Changes>{changes}</Changes></ChangeBatch></ChangeResourceRecordSetsRequest>"#),
            dry_run: false, tags_for: None }),
        resources: &[ZONE],
        allowed: &[],
        tells: Tells::Both,
        harmless: "writes one record of the zone back exactly as ListResourceRecordSets listed it right before: its first TXT record set, \
                   deleted and created again with the values listed in one batch, all of it or none (a DELETE must name the record's current \
                   values, so were it edited in between the batch is refused and nothing changes); a zone without a TXT record set has its \
                   SOA upserted as listed instead (the SOA cannot be deleted; it is updated with the values it has, and no add-on manages \
                   it; race window: the one round trip between the read and the write, in which an edit of the SOA would be set back)",
        basis: "Route 53 API reference, ChangeResourceRecordSets: \"To delete a resource record set, you must specify all the same values \
                that you specified when you created it.\", \"Route 53 validates the changes in the request and then either makes all or none \
                of the changes in the change batch request\", \"it deletes the CNAME resource record set for www.example.com and creates an \
                alias resource record set for www.example.com. If validation for both records succeeds, Route 53 deletes the first resource \
                record set and creates the second resource record set in a single operation\"; Change: \"UPSERT: ... If a resource record \
                set does exist, Route 53 updates it with the values in the request.\"; ListResourceRecordSets \"sorts results first by DNS \
                name with the labels reversed\", so the first record set listed is at the zone's apex, where its SOA is \
                (https://docs.aws.amazon.com/Route53/latest/APIReference/API_ChangeResourceRecordSets.html, \
                https://docs.aws.amazon.com/Route53/latest/APIReference/API_Change.html, \
                https://docs.aws.amazon.com/Route53/latest/APIReference/API_ListResourceRecordSets.html)",
        destructive: true,
    },

    // A change this run made, which changes nothing: only a change has an ID.
    Row {
        action: "route53:GetChange",
        target: TargetKind::Account,
        probe: Probe::Wire(Wire { service: &ROUTE53, op: "GetChange", method: "GET", path: "/2013-04-01/change/{change}", params: &[], xml: None,
            dry_run: false, tags_for: None }),
        resources: &["arn:{p}:route53:::change/{id}"],
        allowed: &[],
        tells: Tells::Both,
        harmless: "a read of the status of a change this run made right before, which leaves the zone as it was: in the first zone the role lists, \
                   the record write-back of route53:ChangeResourceRecordSets (the first TXT record set ListResourceRecordSets lists, deleted and \
                   created again with the values listed in one change batch, all of it or none: a DELETE must name the record's current values, \
                   so were it edited in between the batch is refused and nothing changes; in a zone without one, its SOA upserted as listed); a \
                   deny check where no change can be made asks about a made-up change ID instead",
        basis: "Route 53 API reference, GetChange: \"Returns the current status of a change batch request\", by the ID ChangeResourceRecordSets \
                returned; ChangeResourceRecordSets: \"To delete a resource record set, you must specify all the same values that you specified \
                when you created it.\", \"Route 53 validates the changes in the request and then either makes all or none of the changes in \
                the change batch request\", \"it deletes the CNAME resource record set for www.example.com and creates an alias resource record \
                set for www.example.com. If validation for both records succeeds, Route 53 deletes the first resource record set and creates \
                the second resource record set in a single operation\"; a made-up ID is NoSuchChange (\"A change with the specified change ID \
                does not exist.\"), not documented to come after authorization, so there only a denial tells \
                (https://docs.aws.amazon.com/Route53/latest/APIReference/API_GetChange.html, \
                https://docs.aws.amazon.com/Route53/latest/APIReference/API_ChangeResourceRecordSets.html)",
        destructive: false,
    },

    // EKS: on the first cluster and node group the role lists.
    get("eks:ListClusters", &EKS, "ListClusters", TargetKind::Account, "/clusters?maxResults=1", ANY, EKS_API),
    // The clusters the policies name, by name (Karpenter names its own);
    // a grant on every cluster, on the first one the role lists.
    get("eks:DescribeCluster", &EKS, "DescribeCluster", TargetKind::Named(Kind::Cluster), "/clusters/{name}", &["arn:{p}:eks:{r}:{a}:cluster/{name}"], EKS_API),
    get("eks:ListNodegroups", &EKS, "ListNodegroups", TargetKind::Named(Kind::Cluster), "/clusters/{name}/node-groups?maxResults=1", &["arn:{p}:eks:{r}:{a}:cluster/{name}"], EKS_API),
    // A role that may not list them (the cluster autoscaler's) finds the
    // cluster and node group by the tags of the node group's Auto Scaling group.
    get("eks:DescribeNodegroup", &EKS, "DescribeNodegroup", TargetKind::Account, "/clusters/{cluster}/node-groups/{nodegroup}", &["arn:{p}:eks:{r}:{a}:nodegroup/{id}/{id}/*"],
        "Amazon EKS API reference, DescribeNodegroup (https://docs.aws.amazon.com/eks/latest/APIReference/API_DescribeNodegroup.html); the cluster and node \
         group are the first ones the role lists (ListClusters, ListNodegroups), else those that the tags eks:cluster-name and eks:nodegroup-name name on the \
         first Auto Scaling group DescribeAutoScalingGroups lists with them (Filter tag-key: \"The results only include information about the Auto Scaling \
         groups associated with these tag keys\", https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_Filter.html): EKS creates a managed node \
         group's Auto Scaling group with those tags (EKS User Guide, AWS managed policy AWSServiceRoleForAmazonEKSNodegroup, statement \
         AllowASGCreationByEKS: autoscaling:CreateAutoScalingGroup on condition \"aws:TagKeys\": [\"eks\", \"eks:cluster-name\", \"eks:nodegroup-name\"], \
         https://docs.aws.amazon.com/eks/latest/userguide/security-iam-awsmanpol.html). A group so tagged that names no node group makes \
         DescribeNodegroup answer not found, which is could not tell; none listed, the check is not attempted"),

    // SQS (awsJson 1.0) and SNS: reads of the named queue and topic.
    read("sqs:ListQueues", &SQS, "ListQueues", TargetKind::Account, &[("MaxResults", V::Num(1))], ANY, "SQS API reference, ListQueues"),
    read("sqs:GetQueueUrl", &SQS, "GetQueueUrl", TargetKind::Named(Kind::Queue), &[("QueueName", V::Name)], &[SQS_QUEUE], "SQS API reference, GetQueueUrl"),
    read("sqs:GetQueueAttributes", &SQS, "GetQueueAttributes", TargetKind::Named(Kind::Queue),
         &[("QueueUrl", V::MadeUp("https://sqs.{r}.amazonaws.com/{a}/{name}")), ("AttributeNames", V::Raw(r#"["QueueArn"]"#))], &[SQS_QUEUE],
         "SQS API reference, GetQueueAttributes: the queue's ARN, no message is touched"),
    // A receipt handle names one received message; a made-up one names none.
    Row {
        action: "sqs:DeleteMessage",
        target: TargetKind::Named(Kind::Queue),
        probe: Probe::Wire(Wire { service: &SQS, op: "DeleteMessage", method: "POST", path: "/",
            params: &[("QueueUrl", V::MadeUp("https://sqs.{r}.amazonaws.com/{a}/{name}")), ("ReceiptHandle", V::MadeUp("irsa-verify-probe-{random}"))],
            xml: None, dry_run: false, tags_for: None }),
        resources: &[SQS_QUEUE],
        allowed: &[],
        tells: Tells::DenialOnly,
        harmless: "a made-up receipt handle on the real queue: it names no message, so none is deleted",
        basis: "SQS API reference, DeleteMessage: the receipt handle from a ReceiveMessage names the message deleted; an invalid one gives ReceiptHandleIsInvalid, and AWS does not document that it authorizes first, so only a denial tells (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_DeleteMessage.html)",
        destructive: true,
    },
    read("sns:ListTopics", &SNS, "ListTopics", TargetKind::Account, &[], ANY, "SNS API reference, ListTopics"),
    read("sns:GetTopicAttributes", &SNS, "GetTopicAttributes", TargetKind::Named(Kind::Topic), &[("TopicArn", V::MadeUp("arn:{p}:sns:{r}:{a}:{name}"))], &[SNS_TOPIC],
         "SNS API reference, GetTopicAttributes: the topic's settings, nothing published"),

    // Load balancer controller reads elsewhere.
    read("acm:ListCertificates", &ACM, "ListCertificates", TargetKind::Account, &[("MaxItems", V::Num(1))], ANY, "ACM API reference, ListCertificates"),
    read("acm:DescribeCertificate", &ACM, "DescribeCertificate", TargetKind::Account, &[("CertificateArn", V::Found(Found::Certificate))],
         &["arn:{p}:acm:{r}:{a}:certificate/{id}"], "ACM API reference, DescribeCertificate: metadata, never the private key"),
    read("iam:ListServerCertificates", &IAM, "ListServerCertificates", TargetKind::Account, &[("MaxItems", V::Lit("1"))], ANY, "IAM API reference, ListServerCertificates"),
    // Karpenter reads the instance profiles it manages.
    read("iam:ListInstanceProfiles", &IAM, "ListInstanceProfiles", TargetKind::Account, &[("MaxItems", V::Lit("1"))], ANY, "IAM API reference, ListInstanceProfiles"),
    read("iam:GetInstanceProfile", &IAM, "GetInstanceProfile", TargetKind::Account, &[("InstanceProfileName", V::Found(Found::InstanceProfile))],
         &["arn:{p}:iam::{a}:instance-profile/{id}"], "IAM API reference, GetInstanceProfile: the profile and its role's name, no credential"),
    read("iam:GetServerCertificate", &IAM, "GetServerCertificate", TargetKind::Account, &[("ServerCertificateName", V::Found(Found::ServerCertificate))],
         &["arn:{p}:iam::{a}:server-certificate/{id}"], "IAM API reference, GetServerCertificate: the certificate body and chain, public material, never the private key"),
    read("wafv2:GetWebACLForResource", &WAFV2, "GetWebACLForResource", TargetKind::Account, &[("ResourceArn", V::Found(Found::LoadBalancer))],
         &["arn:{p}:wafv2:{r}:{a}:*/webacl/*/*"], "WAFv2 API reference, GetWebACLForResource: which web ACL protects the resource"),
    read("wafv2:GetWebACL", &WAFV2, "GetWebACL", TargetKind::Account, &[("ARN", V::Found(Found::WebAcl))],
         &["arn:{p}:wafv2:{r}:{a}:regional/webacl/{id}/{id}"],
         "WAFv2 API reference, GetWebACL: the web ACL that protects the load balancer found (GetWebACLForResource), its rules; no secret"),
    read("shield:GetSubscriptionState", &SHIELD, "GetSubscriptionState", TargetKind::Account, &[], ANY, "Shield API reference, GetSubscriptionState"),
    read("shield:DescribeProtection", &SHIELD, "DescribeProtection", TargetKind::Account, &[("ProtectionId", V::Found(Found::ShieldProtection))],
         &["arn:{p}:shield::{a}:protection/{id}"],
         "Shield API reference, DescribeProtection: \"Lists the details of a Protection object.\"; \"You must provide either the ResourceArn of the \
          protected resource or the ProtectionID of the protection, but not both\": the protection is found by the load balancer's ARN, then \
          described by its ID, the protection resource the Service Authorization Reference names for this action. A load balancer without one \
          (Shield Advanced off, or not protecting it) is answered ResourceNotFoundException, and nothing is probed \
          (https://docs.aws.amazon.com/waf/latest/DDOSAPIReference/API_DescribeProtection.html)"),
    // The app client behind an authenticate-cognito action of the load
    // balancer found: the controller describes it to build that action.
    read("cognito-idp:DescribeUserPoolClient", &COGNITO_IDP, "DescribeUserPoolClient", TargetKind::Account,
         &[("UserPoolId", V::Found(Found::CognitoUserPool)), ("ClientId", V::Found(Found::CognitoClient))],
         &["arn:{p}:cognito-idp:{r}:{a}:userpool/{id}"],
         "Amazon Cognito user pools API reference, DescribeUserPoolClient: \"Given an app client ID, returns configuration information.\"; \
          UserPoolId and ClientId are its required parameters, here the UserPoolArn and UserPoolClientId of the first authenticate-cognito \
          action (AuthenticateCognitoActionConfig: \"The Amazon Resource Name (ARN) of the Amazon Cognito user pool.\", \"The ID of the \
          Amazon Cognito user pool client.\") that DescribeListeners or DescribeRules lists for the load balancer found, in the caller's \
          account and region. The answer can carry the app client's secret: like every answer body, it is never shown \
          (https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_DescribeUserPoolClient.html, \
          https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_AuthenticateCognitoActionConfig.html)"),

    // X-Ray: the sampling reads, account-wide (no resource-level permission).
    post("xray:GetSamplingRules", &XRAY, "GetSamplingRules", "/GetSamplingRules", ANY,
         "X-Ray API reference, GetSamplingRules: \"Retrieves all sampling rules.\"; it takes no required parameter, and the Service Authorization \
          Reference lists no resource for it (https://docs.aws.amazon.com/xray/latest/api/API_GetSamplingRules.html)"),
    post("xray:GetSamplingStatisticSummaries", &XRAY, "GetSamplingStatisticSummaries", "/SamplingStatisticSummaries", ANY,
         "X-Ray API reference, GetSamplingStatisticSummaries: \"Retrieves information about recent sampling results for all sampling rules.\"; it \
          takes no required parameter, and the Service Authorization Reference lists no resource for it \
          (https://docs.aws.amazon.com/xray/latest/api/API_GetSamplingStatisticSummaries.html)"),

    // Karpenter's price reads: one EC2 product, account-wide (the Service
    // Authorization Reference lists no resource for pricing:GetProducts).
    read("pricing:GetProducts", &PRICING, "GetProducts", TargetKind::Account, &[("ServiceCode", V::Lit("AmazonEC2")), ("MaxResults", V::Num(1))], ANY,
         "Price List Service API reference, GetProducts: \"Returns a list of all products that match the filter criteria.\"; ServiceCode (\"The code for \
          the service whose products you want to retrieve\") is its one required parameter, MaxResults \"The maximum number of results to return in the \
          response\"; the service \"provides the following two endpoints: https://api.pricing.us-east-1.amazonaws.com, \
          https://api.pricing.ap-south-1.amazonaws.com\" (https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_pricing_GetProducts.html, \
          https://docs.rs/aws-sdk-pricing/0.24.0/aws_sdk_pricing/)"),

    // EFS: the EFS CSI driver's reads. Listings name no file system (the
    // Service Authorization Reference's file system is optional for them);
    // DescribeMountTargets names the first one DescribeFileSystems lists.
    get("elasticfilesystem:DescribeFileSystems", &EFS, "DescribeFileSystems", TargetKind::Account, "/2015-02-01/file-systems?MaxItems=1", ANY,
        "EFS API reference, DescribeFileSystems: without a FileSystemId or CreationToken it \"returns descriptions of all file systems owned by the \
         caller's AWS account in the AWS Region of the endpoint that you're calling\", and \"This operation requires permissions for the \
         elasticfilesystem:DescribeFileSystems action.\" (https://docs.aws.amazon.com/efs/latest/ug/API_DescribeFileSystems.html)"),
    get("elasticfilesystem:DescribeAccessPoints", &EFS, "DescribeAccessPoints", TargetKind::Account, "/2015-02-01/access-points?MaxResults=1", ANY,
        "EFS API reference, DescribeAccessPoints: \"This operation requires permissions for the elasticfilesystem:DescribeAccessPoints action.\"; \
         its AccessPointId and FileSystemId are optional, and this request names neither \
         (https://docs.aws.amazon.com/efs/latest/ug/API_DescribeAccessPoints.html)"),
    get("elasticfilesystem:DescribeMountTargets", &EFS, "DescribeMountTargets", TargetKind::Account, "/2015-02-01/mount-targets?FileSystemId={file_system}",
        &["arn:{p}:elasticfilesystem:{r}:{a}:file-system/{id}"],
        "EFS API reference, DescribeMountTargets: \"This operation requires permissions for the elasticfilesystem:DescribeMountTargets action, on \
         either the file system ID that you specify in FileSystemId, or on the file system of the mount target that you specify in \
         MountTargetId.\"; the file system is the first one DescribeFileSystems lists (the check is not attempted when it lists none) \
         (https://docs.aws.amazon.com/efs/latest/ug/API_DescribeMountTargets.html)"),

    // STS: the role the policies name, in whichever account it is.
    Row {
        action: "sts:AssumeRole",
        target: TargetKind::Named(Kind::Role),
        probe: Probe::Wire(Wire { service: &STS, op: "AssumeRole", method: "POST", path: "/",
            params: &[("RoleArn", V::Name), ("RoleSessionName", V::Raw("irsa-verify-{random}")), ("DurationSeconds", V::Num(900))],
            xml: None, dry_run: false, tags_for: None }),
        resources: &["arn:{p}:iam::{a}:role/{name}"],
        allowed: &[],
        tells: Tells::Both,
        harmless: "assumes the role for 15 minutes (DurationSeconds=900), as the workload does: a session and nothing else; its credentials are dropped unread, never kept or printed",
        basis: "STS API reference, AssumeRole: the caller's identity policy must allow sts:AssumeRole on the role, and the role's trust policy must allow the caller \
                (IAM User Guide, \"Troubleshoot IAM roles: I can't assume a role\"); a refusal by the identity policy says \"because no identity-based policy allows\", \
                one by the trust policy (or of a role that does not exist) names no policy (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html)",
        destructive: false,
    },
];

/// Actions with no harmless form, never probed: (pattern, reason).
pub const NEVER: &[(&str, &str)] = &[
    ("sqs:ReceiveMessage", "a received message that is not deleted counts as a failed receive and can move to the dead-letter queue"),
    ("sns:Publish", "no harmless form known: a publish reaches the subscribers"),
    ("ec2:AssignPrivateIpAddresses", "its API has no DryRun, and an EC2 write is only ever sent with DryRun=true"),
    ("ec2:UnassignPrivateIpAddresses", "its API has no DryRun, and an EC2 write is only ever sent with DryRun=true"),
    ("autoscaling:TerminateInstanceInAutoScalingGroup", "no harmless form known: it terminates a node"),
    ("cloudwatch:PutMetricData", "no harmless form known: it writes a data point"),
    ("kms:Decrypt", "only DryRun could tell, and junk ciphertext is refused with AccessDenied whatever the permissions"),
    ("iam:Create*", "IAM writes have no harmless form"),
    ("iam:Put*", "IAM writes have no harmless form"),
    ("iam:Attach*", "IAM writes have no harmless form"),
    ("iam:PassRole", "checked only inside another call (RunInstances, CreateFunction...)"),
    ("elasticloadbalancing:SetWebAcl", "a permission-only action: the Elastic Load Balancing API (2015-12-01) has no operation of that name, \
      so there is no request to send (associating a web ACL with a load balancer is WAF's AssociateWebACL: \"This call requires \
      permissions that are specific to the protected resource type\", \
      https://docs.aws.amazon.com/waf/latest/APIReference/API_AssociateWebACL.html)"),
    ("wafv2:AssociateWebACL", "no documented no-op: associating the web ACL that already protects a resource is not documented to change \
      nothing, and would put back an association removed in between"),
    ("wafv2:DisassociateWebACL", "no harmless form: it removes a resource's web ACL (\"Disassociates the specified resource from its web ACL \
      association, if it has one\"), and on a resource found without one it would remove an association made in between"),
    ("waf-regional:*", "AWS WAF Classic, which AWS is retiring (\"AWS WAF Classic support will end on September 30, 2025\", \
      https://docs.aws.amazon.com/waf/latest/APIReference/Welcome.html): where it is retired every request fails, which would leave each \
      run of a role granting it unverified; its successor's reads (wafv2:GetWebACLForResource, wafv2:GetWebACL) are probed"),
    ("shield:CreateProtection", "no harmless form known: it puts a resource under Shield Advanced protection"),
    ("shield:DeleteProtection", "no harmless form known: it removes a resource's Shield Advanced protection"),
];

#[cfg(test)]
mod tests {
    use super::*;

    /// A line continuation that kept its indentation shows in every report.
    #[test]
    fn row_texts_read_as_one_line() {
        for r in ROWS {
            for text in [r.harmless, r.basis] {
                assert!(!text.contains("  "), "{}: {text}", r.action);
            }
        }
    }

    /// The catalogue reads the action list, never the other way round.
    #[test]
    fn every_catalogue_action_is_a_real_one() {
        for r in ROWS.iter().filter(|r| !r.action.starts_with("imds:")) {
            assert!(crate::sar::known(r.action), "{}", r.action);
        }
    }

    #[test]
    fn every_sdk_probe_has_exactly_one_row() {
        for probe in super::super::Sdk::ALL {
            let rows = ROWS.iter().filter(|r| r.probe == Probe::Sdk(probe)).count();
            assert_eq!(rows, 1, "{probe:?}");
        }
        let sdk_rows = ROWS
            .iter()
            .filter(|r| matches!(r.probe, Probe::Sdk(_)))
            .count();
        assert_eq!(sdk_rows, super::super::Sdk::ALL.len());
    }

    #[test]
    fn every_row_is_complete_and_unique() {
        for (i, r) in ROWS.iter().enumerate() {
            let (service, op) = r.action.split_once(':').expect("service:Action");
            assert!(!op.is_empty() && !service.is_empty(), "{}", r.action);
            // A later row of an action is the same EC2 request aimed at a
            // resource of other types, and no row repeats another's types.
            for o in ROWS[i + 1..]
                .iter()
                .filter(|o| o.action.eq_ignore_ascii_case(r.action))
            {
                let (Probe::Wire(a), Probe::Wire(b)) = (&r.probe, &o.probe) else {
                    panic!("duplicate {}", r.action)
                };
                if let Some(op) = o.tags_on_create() {
                    // A create that tags what it makes, told only when allowed.
                    assert!(
                        r.action == "ec2:CreateTags"
                            && o.tells == Tells::AllowOnly
                            && b.dry_run
                            && b.tags_for.is_some()
                            && ROWS
                                .iter()
                                .any(|c| c.action == format!("ec2:{op}") && c.probe == o.probe),
                        "{}: a tag-on-create row is an EC2 create's own request",
                        r.action
                    );
                    continue;
                }
                let (mine, its) = (r.ec2_ids_sent(), o.ec2_ids_sent());
                assert!(
                    a.service.iam_prefix == "ec2"
                        && a.op == b.op
                        && a.dry_run
                        && b.dry_run
                        && !its.is_empty()
                        && mine.iter().all(|k| !its.contains(k)),
                    "duplicate {}: a later row must aim the same DryRun at other resource types",
                    r.action
                );
                assert_eq!(
                    (r.tells, r.allowed.len(), r.basis, r.destructive),
                    (o.tells, o.allowed.len(), o.basis, o.destructive),
                    "{}: its rows answer alike",
                    r.action
                );
            }
            assert!(
                !r.harmless.is_empty() && !r.basis.is_empty(),
                "{} needs its harmless form and basis",
                r.action
            );
            assert!(
                r.target == TargetKind::Node || !r.resources.is_empty(),
                "{} names what it is authorized against",
                r.action
            );
            if let Probe::Wire(w) = &r.probe {
                assert_eq!(w.service.iam_prefix, service, "{}", r.action);
                if r.tags_on_create().is_none() {
                    assert_eq!(w.op, op, "{}: the operation is the action", r.action);
                }
                // A named target is named in the request, and in what is authorized.
                if let TargetKind::Named(_) = r.target {
                    let named = w
                        .params
                        .iter()
                        .any(|(_, v)| matches!(v, V::Name | V::NameThen(_)))
                        || w.params.iter().any(
                            |(_, v)| matches!(v, V::Raw(s) | V::MadeUp(s) if s.contains("{name}")),
                        )
                        || w.path.contains("{name}")
                        || w.xml.is_some_and(|x| x.contains("{name}"));
                    assert!(named, "{} names its target", r.action);
                    assert!(
                        r.resources.iter().all(|a| a.contains("{name}")),
                        "{}",
                        r.action
                    );
                }
                // An ID in a write is authorized as a resource too (reads
                // take no resource-level permission).
                for (_, v) in w.params.iter().filter(|_| !w.op.starts_with("Describe")) {
                    if let V::Id(kind) = v {
                        if *kind == Ec2Id::NetworkInterfaceAttachment {
                            // No ARN of its own: what it joins is authorized.
                            continue;
                        }
                        let ty = kind.parts().1;
                        assert!(
                            r.resources
                                .iter()
                                .any(|a| a.contains(&format!(":{ty}/{{id}}"))),
                            "{} authorizes its {ty}",
                            r.action
                        );
                    }
                }
                assert_eq!(
                    w.dry_run,
                    !r.allowed.is_empty() && r.allowed.iter().any(|a| a.code.starts_with("DryRun")),
                    "{}",
                    r.action
                );
            }
            assert!(
                super::super::never(r.action).is_none(),
                "{} is both probed and never probed",
                r.action
            );
        }
    }

    #[test]
    fn denial_only_rows_claim_no_allowed_answer() {
        for r in ROWS
            .iter()
            .filter(|r| r.tells_for(false) == Tells::DenialOnly)
        {
            assert!(r.allowed.is_empty(), "{}", r.action);
            assert!(
                r.basis.contains("only a denial") || r.basis.contains("could not tell"),
                "{}",
                r.action
            );
        }
    }

    /// Each wire row authorizes against the resource types the Service
    /// Authorization Reference snapshot gives its action (src/sar), and
    /// names no resource that reference does not list.
    #[test]
    fn resources_agree_with_the_service_authorization_reference() {
        let sar = include_str!("../sar/resources.tsv");
        let fill = |t: &str| {
            t.replace("{p}", "aws")
                .replace("{r}", "eu-west-1")
                .replace("{a}", "111122223333")
                .replace("{name}", "n")
                .replace("{id}", "x-1")
                .replace("{random16}", "0")
                .replace("{random}", "0")
        };
        // `${Partition}` and the others become wildcards.
        let pattern = |arn: &str| {
            let mut out = String::new();
            let mut rest = arn;
            while let Some(i) = rest.find("${") {
                out.push_str(&rest[..i]);
                out.push('*');
                rest = rest[i..].find('}').map_or("", |j| &rest[i + j + 1..]);
            }
            out.push_str(rest);
            out
        };
        for r in ROWS.iter().filter(|r| matches!(r.probe, Probe::Wire(_))) {
            let lines: Vec<(&str, bool, String)> = sar
                .lines()
                .filter_map(|l| {
                    let f: Vec<&str> = l.split('\t').collect();
                    (f.len() == 4 && f[0].eq_ignore_ascii_case(r.action))
                        .then(|| (f[1], f[2] == "1", pattern(f[3])))
                })
                .collect();
            assert!(
                !lines.is_empty(),
                "{} is not in the Service Authorization Reference snapshot",
                r.action
            );
            if lines.iter().all(|(ty, _, _)| *ty == "*") {
                continue;
            }
            for resource in r.resources.iter().filter(|a| **a != "*") {
                let filled = fill(resource);
                assert!(
                    lines
                        .iter()
                        .any(|(_, _, p)| crate::glob::wildcard(p, &filled, false)),
                    "{}: {resource} is none of its resource types",
                    r.action
                );
            }
            // `listener/app/`, `listener/net/`...: alternatives, one of which is named.
            for (ty, _, _) in lines.iter().filter(|(_, req, _)| *req) {
                let family = ty.split('/').next().unwrap_or(ty);
                let named = lines
                    .iter()
                    .filter(|(t, _, _)| t.split('/').next() == Some(family))
                    .any(|(_, _, p)| {
                        r.resources
                            .iter()
                            .any(|a| crate::glob::wildcard(p, &fill(a), false))
                    });
                assert!(named, "{}: the required {ty} is not authorized", r.action);
            }
        }
    }

    /// The ELBv2 writes: a documented no-op on a resource a listing found
    /// tells both ways; on made-up ARNs only a denial tells. Whichever, a
    /// 2xx is allowed, AWS's denial is denied, and every error the API
    /// reference lists for them (a resource gone, a priority or certificate
    /// refused, a validation) is could not tell.
    #[test]
    fn elbv2_writes_tell_what_their_basis_documents() {
        use crate::answer::{classify, Answer, Observed};
        let err = |status: u16, code: &str| Answer::ServiceError {
            status: Some(status),
            code: Some(code.to_owned()),
            message: Some("m".to_owned()),
        };
        let no_op = [
            "ModifyListener",
            "ModifyRule",
            "RemoveTags",
            "AddListenerCertificates",
            "DeregisterTargets",
            "AddTags",
            "ModifyLoadBalancerAttributes",
            "ModifyTargetGroupAttributes",
            "ModifyListenerAttributes",
            "RemoveListenerCertificates",
            "CreateListener",
            "SetRulePriorities",
        ];
        let made_up = ["RegisterTargets", "CreateRule", "DeleteRule"];
        for (ops, tells) in [(&no_op[..], Tells::Both), (&made_up[..], Tells::DenialOnly)] {
            for op in ops {
                let action = format!("elasticloadbalancing:{op}");
                let r = &ROWS[super::super::find(&action).expect("a row")];
                let Probe::Wire(w) = &r.probe else {
                    panic!("{action} is a wire row")
                };
                assert_eq!(r.tells, tells, "{action}");
                assert!(r.allowed.is_empty(), "{action}: only a 2xx proves it");
                assert!(
                    r.basis.contains(&format!(
                        "(https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_{op}.html"
                    )) && r.basis.contains('"'),
                    "{action}: its basis quotes its API reference page"
                );
                let observed = |a: Answer| classify(&a, r.allowed);
                assert_eq!(
                    observed(Answer::success(200, "")),
                    Observed::Allowed,
                    "{action}"
                );
                assert_eq!(
                    observed(err(403, "AccessDenied")),
                    Observed::Denied,
                    "{action}"
                );
                for other in [
                    "ListenerNotFound",
                    "RuleNotFound",
                    "TargetGroupNotFound",
                    "LoadBalancerNotFound",
                    "InvalidTarget",
                    "PriorityInUse",
                    "CertificateNotFound",
                    "TooManyCertificates",
                    "OperationNotPermitted",
                    "InvalidConfigurationRequest",
                    "DuplicateTagKeys",
                    "DuplicateListener",
                    "ValidationError",
                ] {
                    assert_eq!(
                        observed(err(400, other)),
                        Observed::Unknown,
                        "{action}: {other}"
                    );
                }
                let found = w.params.iter().any(|(_, v)| matches!(v, V::Found(_)));
                if tells == Tells::Both {
                    // A real resource, authorized as the kind it was judged on.
                    assert!(found, "{action} names a resource a listing found");
                    assert!(
                        r.resources.iter().all(|t| t.contains("/{id}")),
                        "{action}: {:?}",
                        r.resources
                    );
                } else {
                    // Nothing real: every resource named is made up.
                    assert!(!found, "{action} names nothing real");
                    assert!(
                        r.resources.iter().all(|t| t.contains("irsa-verify-probe")),
                        "{action}: {:?}",
                        r.resources
                    );
                }
            }
        }
        // The no-ops that write back what was read name their race window.
        for op in ["AddListenerCertificates", "AddTags"] {
            let add = &ROWS[super::super::find(&format!("elasticloadbalancing:{op}")).unwrap()];
            assert!(add.harmless.contains("Race window"), "{}", add.harmless);
        }
        for (op, attr) in [
            ("ModifyLoadBalancerAttributes", Attr::LoadBalancer),
            ("ModifyTargetGroupAttributes", Attr::TargetGroup),
            ("ModifyListenerAttributes", Attr::Listener),
        ] {
            let r = &ROWS[super::super::find(&format!("elasticloadbalancing:{op}")).unwrap()];
            assert!(
                r.harmless.contains(
                    "Race window: the one round trip between the read and the write; were the attribute changed by someone \
                     else in it, the write would put back the value read"
                ),
                "{op}: {}",
                r.harmless
            );
            // Exactly one attribute, its key and its value from one read of
            // the resource the request names, and authorized on that one
            // alone (so it can be picked by its tags).
            let Probe::Wire(w) = &r.probe else {
                panic!("{op}")
            };
            let values: Vec<&V> = w.params.iter().map(|(_, v)| v).collect();
            assert_eq!(
                values,
                [
                    &V::Found(attr.found()),
                    &V::AttrKey(attr),
                    &V::AttrValue(attr)
                ],
                "{op}"
            );
            assert_eq!(w.params[1].0, "Attributes.member.1.Key");
            assert_eq!(w.params[2].0, "Attributes.member.1.Value");
            assert_eq!(r.found_by_tags(), Some(attr.found()), "{op}");
            // Each key it may write back is named in its harmless text.
            assert!(r.harmless.contains(attr.keys()[0]), "{op}");
        }
        // A setting that is its own parameter: the resource found, then the
        // setting's one value, read right before and documented.
        for (op, attr) in [
            ("ModifyTargetGroup", Attr::HealthCheckEnabled),
            ("SetIpAddressType", Attr::IpAddressType),
        ] {
            let r = &ROWS[super::super::find(&format!("elasticloadbalancing:{op}")).unwrap()];
            let Probe::Wire(w) = &r.probe else {
                panic!("{op}")
            };
            assert_eq!(
                w.params,
                [
                    (
                        if attr == Attr::IpAddressType {
                            "LoadBalancerArn"
                        } else {
                            "TargetGroupArn"
                        },
                        V::Found(attr.found())
                    ),
                    (attr.keys()[0], V::AttrValue(attr)),
                ],
                "{op}"
            );
            assert!(r.harmless.contains("Race window"), "{op}");
            assert!(r.harmless.contains(attr.keys()[0]), "{op}");
            for v in attr.values().expect("documented values") {
                assert!(r.harmless.contains(v), "{op}: {v}");
            }
            assert_eq!(r.found_by_tags(), Some(attr.found()), "{op}");
            assert!(!r.destructive, "{op}");
        }
        // No other row writes an attribute, and no other row reads one back.
        for r in ROWS.iter() {
            let Probe::Wire(w) = &r.probe else { continue };
            for (_, v) in w.params {
                if let V::AttrKey(a) | V::AttrValue(a) = v {
                    assert!(r.names_found(a.found()), "{}", r.action);
                }
            }
        }
        // Removals are deny checks wherever the policies touch ELBv2.
        for op in [
            "RemoveTags",
            "DeregisterTargets",
            "RemoveListenerCertificates",
            "DeleteRule",
        ] {
            let r = &ROWS[super::super::find(&format!("elasticloadbalancing:{op}")).unwrap()];
            assert!(r.destructive, "{op}");
        }
        // SetWebAcl has no API: never probed, and the reason says why.
        let why = super::super::never("elasticloadbalancing:SetWebAcl").expect("never probed");
        assert!(why.starts_with("a permission-only action"), "{why}");
    }

    /// Each row's answers: a 2xx and its named errors are allowed, its
    /// service's denial is denied, and lookups, validation, throttling and
    /// transport failures never prove anything.
    #[test]
    fn each_rows_answers_mean_what_the_row_says() {
        use crate::answer::{classify, Answer, Observed};
        use crate::signed::services::Protocol;
        let err = |status: u16, code: &str| Answer::ServiceError {
            status: Some(status),
            code: Some(code.to_owned()),
            message: Some("m".to_owned()),
        };
        for r in ROWS.iter() {
            let Probe::Wire(w) = &r.probe else { continue };
            let observed = |a: Answer| classify(&a, r.allowed);
            assert_eq!(
                observed(Answer::success(200, "")),
                Observed::Allowed,
                "{}",
                r.action
            );
            for a in r.allowed {
                assert_eq!(
                    observed(err(412, a.code)),
                    Observed::Allowed,
                    "{}: {}",
                    r.action,
                    a.code
                );
            }
            let denial = match w.service.protocol {
                Protocol::Ec2Query => "UnauthorizedOperation",
                Protocol::Json10 | Protocol::Json11 | Protocol::RestJson => "AccessDeniedException",
                Protocol::Query | Protocol::RestXml => "AccessDenied",
            };
            assert_eq!(observed(err(403, denial)), Observed::Denied, "{}", r.action);
            for other in [
                "ResourceNotFoundException",
                "InvalidVolume.NotFound",
                "InvalidInstanceID.Malformed",
                "ValidationException",
                "ValidationError",
                "ThrottlingException",
                "RequestLimitExceeded",
                "LoadBalancerNotFound",
                "TargetGroupNotFound",
                "ParameterVersionNotFound",
                "ParameterNotFound",
                "NoSuchHostedZone",
                "NotFoundException",
                "InternalFailure",
                "SignatureDoesNotMatch",
                "ExpiredToken",
            ] {
                assert_eq!(
                    observed(err(400, other)),
                    Observed::Unknown,
                    "{}: {other}",
                    r.action
                );
            }
            assert_eq!(
                observed(Answer::Transport {
                    detail: "timed out".into()
                }),
                Observed::Unknown,
                "{}",
                r.action
            );
            if w.service.iam_prefix == "ec2" && r.tells == Tells::Both {
                let codes: Vec<&str> = r.allowed.iter().map(|a| a.code).collect();
                assert_eq!(
                    codes,
                    ["DryRunOperation"],
                    "{}: only DryRunOperation proves an EC2 permission",
                    r.action
                );
            }
        }
    }

    /// SetDesiredCapacity writes back the capacity just read, on the group
    /// found: a 2xx proves it, AWS's denial denies it, and any other answer
    /// (a group gone, a scaling activity in progress, a validation) is
    /// could not tell.
    #[test]
    fn set_desired_capacity_is_a_write_back_on_the_group_found() {
        let r = &ROWS[super::super::find("autoscaling:SetDesiredCapacity").expect("a row")];
        let Probe::Wire(w) = &r.probe else {
            panic!("a wire row")
        };
        assert_eq!(r.tells, Tells::Both);
        assert!(
            r.destructive,
            "a deny check wherever Auto Scaling is touched"
        );
        assert_eq!(
            w.params,
            &[
                ("AutoScalingGroupName", V::Found(Found::AutoScalingGroup)),
                ("DesiredCapacity", V::AttrValue(Attr::DesiredCapacity)),
            ]
        );
        assert_eq!(Attr::DesiredCapacity.found(), Found::AutoScalingGroup);
        // Its read goes to Auto Scaling, as the write does.
        assert_eq!(
            Attr::DesiredCapacity.service().signing_name,
            w.service.signing_name
        );
        assert_eq!(w.service.signing_name, "autoscaling");
        assert_eq!(
            Attr::RulePriority.service().signing_name,
            "elasticloadbalancing"
        );
        only_a_2xx_proves_it(
            r,
            &[
                "ValidationError",
                "ScalingActivityInProgress",
                "ResourceContention",
            ],
        );
        // Only a count read is written back.
        for (value, ok) in [
            ("0", true),
            ("12", true),
            ("", false),
            ("-1", false),
            ("1.0", false),
        ] {
            assert_eq!(Attr::DesiredCapacity.writable(value), ok, "{value:?}");
        }
    }

    /// ChangeResourceRecordSets writes one record back as read (the changes
    /// `{changes}` stands for, read right before), and nothing else: a 2xx
    /// proves it, AWS's denial denies it, and any other answer (a batch
    /// refused, a zone gone, throttling) is could not tell.
    #[test]
    fn a_record_change_is_one_record_written_back() {
        let r = &ROWS[super::super::find("route53:ChangeResourceRecordSets").expect("a row")];
        let Probe::Wire(w) = &r.probe else {
            panic!("a wire row")
        };
        assert_eq!(r.tells, Tells::Both);
        let xml = w.xml.expect("a change batch");
        assert!(xml.contains("<Changes>{changes}</Changes>"), "{xml}");
        assert!(!xml.contains("<Change>"), "only the changes read: {xml}");
        only_a_2xx_proves_it(
            r,
            &[
                "InvalidChangeBatch",
                "InvalidInput",
                "NoSuchHostedZone",
                "PriorRequestNotComplete",
                "Throttling",
            ],
        );
    }

    /// GetSecretValue: on the real secret a missing version tells nothing;
    /// on a made-up secret a pattern covers, "not found" is allowed, AWS's
    /// denial denied, anything else could not tell.
    #[test]
    fn a_made_up_secret_a_pattern_covers_tells_both_ways() {
        use crate::answer::{classify, Answer, Observed};
        let err = |status: u16, code: &str| Answer::ServiceError {
            status: Some(status),
            code: Some(code.to_owned()),
            message: Some("m".to_owned()),
        };
        let r = &ROWS[super::super::find("secretsmanager:GetSecretValue").expect("a row")];
        let o = r.otherwise().expect("another form");
        assert_eq!(o.on, OtherTarget::PatternSecret);
        assert_eq!(r.tells_for(false), Tells::DenialOnly);
        assert_eq!(r.tells_for(true), Tells::Both);
        let not_found = err(400, "ResourceNotFoundException");
        assert_eq!(classify(&not_found, r.allowed), Observed::Unknown);
        assert_eq!(classify(&not_found, o.allowed), Observed::Allowed);
        assert_eq!(
            classify(&err(400, "AccessDeniedException"), o.allowed),
            Observed::Denied
        );
        for other in [
            "InvalidRequestException",
            "DecryptionFailure",
            "ThrottlingException",
        ] {
            assert_eq!(
                classify(&err(400, other), o.allowed),
                Observed::Unknown,
                "{other}"
            );
        }
        // The made-up secret is named by its full ARN, with no version:
        // the suffix is the one part no policy names.
        assert_eq!(
            o.params,
            &[(
                "SecretId",
                V::MadeUp("arn:{p}:secretsmanager:{r}:{a}:secret:{name}-{random6}")
            )]
        );
    }

    /// GetChange asks about a change this run made: a 2xx is allowed, a
    /// denial denied, "no such change" (a made-up ID, deny checks only)
    /// could not tell.
    #[test]
    fn get_change_is_proven_only_by_its_own_change() {
        let r = &ROWS[super::super::find("route53:GetChange").expect("a row")];
        assert_eq!(r.tells, Tells::Both);
        only_a_2xx_proves_it(r, &["NoSuchChange", "InvalidInput", "Throttling"]);
        let Probe::Wire(w) = r.probe else {
            panic!("a wire row")
        };
        assert!(w
            .path
            .contains(Found::Change.placeholder().expect("a path placeholder")));
        // Only a deny check may name a made-up one.
        let made_up: Vec<Found> = Found::ALL
            .into_iter()
            .filter(|f| f.made_up().is_some())
            .collect();
        assert_eq!(made_up, [Found::Change]);
        assert_eq!(r.resources, ["arn:{p}:route53:::change/{id}"]);
    }

    /// A write-back's answers: a 2xx is allowed, AWS's denial denied, and
    /// each of `others` could not tell.
    fn only_a_2xx_proves_it(r: &Row, others: &[&str]) {
        use crate::answer::{classify, Answer, Observed};
        let err = |status: u16, code: &str| Answer::ServiceError {
            status: Some(status),
            code: Some(code.to_owned()),
            message: Some("m".to_owned()),
        };
        assert!(r.allowed.is_empty(), "{}: only a 2xx proves it", r.action);
        assert_eq!(
            classify(&Answer::success(200, ""), r.allowed),
            Observed::Allowed
        );
        assert_eq!(
            classify(&err(403, "AccessDenied"), r.allowed),
            Observed::Denied
        );
        for other in others {
            assert_eq!(
                classify(&err(400, other), r.allowed),
                Observed::Unknown,
                "{}: {other}",
                r.action
            );
        }
    }
}
