//! Every action the agent can probe, one row each, in one list (`rows.rs`):
//! the request in its harmless form, what it is authorized against, the
//! answers that mean allowed (AWS's denials mean denied; anything else is
//! could not tell), why it changes nothing, and the basis for all that.
//! Help (`--list-probes`), derivation and coverage all read that list.

mod rows;

use crate::answer::AuthorizedError;
use crate::signed::services::ServiceDef;

pub use rows::{PUBLIC_PARAMETER, ROWS};

/// The answers that prove authorization for the SDK probes.
pub mod rows_answers {
    pub use super::rows::{
        DYNAMODB_CONDITION_FAILED, DYNAMODB_DELETION_PROTECTED, S3_CONDITIONAL_AUTHORIZED,
        S3_READ_AUTHORIZED,
    };
}

/// What a check of an action must name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    /// Nothing: account-level reads, EC2 DryRun (IDs are found at run time).
    Account,
    Bucket,
    /// An object; `key_required` false means a fresh random key may be used.
    Object {
        key_required: bool,
    },
    Table,
    /// An item; without a key, a random one is built from the key schema.
    Item,
    /// The node the pod runs on (instance metadata).
    Node,
    /// A resource of another service, named by the policies or by flag.
    Named(Kind),
}

/// Resources of the services beyond S3 and DynamoDB that a probe names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Secret,
    Parameter,
    /// The path a `parameter/PATH/*` grant covers.
    ParameterPath,
    Key,
    LogGroup,
    /// A hosted zone; `hostedzone/*` grants are probed on the first zone the
    /// role can list.
    HostedZone,
    Queue,
    Topic,
    /// An EKS cluster; a grant on every cluster is probed on the first one
    /// the role can list.
    Cluster,
    /// An IAM role, always named by its full ARN (`sts:AssumeRole`), in
    /// whichever account it is.
    Role,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Secret => "secret",
            Kind::Parameter => "parameter",
            Kind::ParameterPath => "parameter path",
            Kind::Key => "key",
            Kind::LogGroup => "log group",
            Kind::HostedZone => "hosted zone",
            Kind::Queue => "queue",
            Kind::Topic => "topic",
            Kind::Cluster => "EKS cluster",
            Kind::Role => "role",
        }
    }

    /// Kinds a probe can find for itself when the policy's ARN is a wildcard.
    pub fn discoverable(self) -> bool {
        Kind::DISCOVERABLE.contains(&self)
    }

    /// The kinds whose probe can list one for itself: a grant on every
    /// resource of the kind (`*`, `hostedzone/*`, `cluster/*`) is probed on
    /// the first one listed.
    pub const DISCOVERABLE: [Kind; 2] = [Kind::HostedZone, Kind::Cluster];
}

/// EC2 resources a DryRun request names by ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ec2Id {
    Instance,
    Volume,
    Snapshot,
    SecurityGroup,
    Subnet,
    Vpc,
    Image,
    LaunchTemplate,
    NetworkInterface,
    /// An ENI's attachment to an instance: no ARN of its own; AWS authorizes
    /// DetachNetworkInterface on the instance and the interface it joins.
    NetworkInterfaceAttachment,
}

impl Ec2Id {
    pub const ALL: [Ec2Id; 10] = [
        Ec2Id::Instance,
        Ec2Id::Volume,
        Ec2Id::Snapshot,
        Ec2Id::SecurityGroup,
        Ec2Id::Subnet,
        Ec2Id::Vpc,
        Ec2Id::Image,
        Ec2Id::LaunchTemplate,
        Ec2Id::NetworkInterface,
        Ec2Id::NetworkInterfaceAttachment,
    ];

    /// (ID prefix, ARN resource type, the Describe call and its ID element).
    pub fn parts(self) -> (&'static str, &'static str, &'static str, &'static str) {
        match self {
            Ec2Id::Instance => ("i", "instance", "DescribeInstances", "instanceId"),
            Ec2Id::Volume => ("vol", "volume", "DescribeVolumes", "volumeId"),
            Ec2Id::Snapshot => ("snap", "snapshot", "DescribeSnapshots", "snapshotId"),
            Ec2Id::SecurityGroup => ("sg", "security-group", "DescribeSecurityGroups", "groupId"),
            Ec2Id::Subnet => ("subnet", "subnet", "DescribeSubnets", "subnetId"),
            Ec2Id::Vpc => ("vpc", "vpc", "DescribeVpcs", "vpcId"),
            Ec2Id::Image => ("ami", "image", "DescribeImages", "imageId"),
            Ec2Id::LaunchTemplate => (
                "lt",
                "launch-template",
                "DescribeLaunchTemplates",
                "launchTemplateId",
            ),
            Ec2Id::NetworkInterface => (
                "eni",
                "network-interface",
                "DescribeNetworkInterfaces",
                "networkInterfaceId",
            ),
            Ec2Id::NetworkInterfaceAttachment => (
                "eni-attach",
                "network-interface-attachment",
                "DescribeNetworkInterfaces",
                "attachmentId",
            ),
        }
    }

    /// The ID an expectation is judged on when the probe picks one at run
    /// time: not hex, so no pattern naming real IDs matches it, while any
    /// pattern covering every ID of the type does.
    pub fn representative(self) -> String {
        format!("{}-0{}", self.parts().0, "x".repeat(16))
    }

    /// A well-formed ID that names nothing: 17 hex digits, as EC2 makes them.
    pub fn made_up(self, token: &str) -> String {
        format!("{}-0{}", self.parts().0, &token[..16.min(token.len())])
    }
}

/// Resources a read names that only a listing can find: when the role's
/// listing finds none, the check is not attempted (a made-up ARN would only
/// give "not found", which tells nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Found {
    LoadBalancer,
    TargetGroup,
    /// The first listener of the load balancer found.
    Listener,
    /// The first rule of that listener that is not its default rule
    /// (ModifyRule does not take the default rule).
    Rule,
    /// The first certificate of that listener's certificate list, not its
    /// default certificate: the one a re-add leaves as it is.
    ListenerCertificate,
    /// The first HTTPS listener of the load balancer found: a listener
    /// with a certificate list, which RemoveListenerCertificates takes.
    HttpsListener,
    /// The first target group of target type `instance`: a made-up instance
    /// ID is a target that does not exist there.
    InstanceTargetGroup,
    Certificate,
    ServerCertificate,
    EksCluster,
    /// The first node group of the cluster found.
    EksNodegroup,
    InstanceProfile,
    /// The regional web ACL that protects the load balancer found, by ARN.
    WebAcl,
    /// The Shield Advanced protection of the load balancer found, by ID
    /// (DescribeProtection by its ResourceArn).
    ShieldProtection,
    /// The first EFS file system DescribeFileSystems lists, by ID.
    EfsFileSystem,
    /// The first customer-owned IP pool DescribeCoipPools lists, by ID.
    CoipPool,
    /// The first Auto Scaling group DescribeAutoScalingGroups lists, by
    /// name.
    AutoScalingGroup,
    /// The Amazon Cognito user pool (its ID) of the first
    /// authenticate-cognito action among the found load balancer's
    /// listeners and rules.
    CognitoUserPool,
    /// That action's user pool app client (its ID).
    CognitoClient,
    /// A Route 53 change (its ID, as ChangeResourceRecordSets answers it):
    /// a change batch written right before that leaves the zone as it was,
    /// the first TXT record set of the zone found deleted and created again
    /// with the values ListResourceRecordSets listed, in one batch. Only a
    /// change has an ID, and no API lists them.
    Change,
}

impl Found {
    pub const ALL: [Found; 20] = [
        Found::LoadBalancer,
        Found::TargetGroup,
        Found::Listener,
        Found::Rule,
        Found::ListenerCertificate,
        Found::HttpsListener,
        Found::InstanceTargetGroup,
        Found::Certificate,
        Found::ServerCertificate,
        Found::EksCluster,
        Found::EksNodegroup,
        Found::InstanceProfile,
        Found::WebAcl,
        Found::ShieldProtection,
        Found::EfsFileSystem,
        Found::CoipPool,
        Found::AutoScalingGroup,
        Found::CognitoUserPool,
        Found::CognitoClient,
        Found::Change,
    ];

    /// The Elastic Load Balancing resources a probe can pick by their tags:
    /// DescribeTags reads them ("Describes the tags for the specified
    /// Elastic Load Balancing resources. You can describe the tags for one
    /// or more Application Load Balancers, Network Load Balancers, Gateway
    /// Load Balancers, target groups, listeners, or rules"), and IAM reads
    /// the same tags as `aws:ResourceTag/K` for a request naming them.
    pub const TAGGABLE: [Found; 3] = [Found::LoadBalancer, Found::TargetGroup, Found::Listener];

    /// Can a probe pick it by its tags?
    pub fn taggable(self) -> bool {
        Found::TAGGABLE.contains(&self)
    }

    /// Where a REST path names it.
    pub fn placeholder(self) -> Option<&'static str> {
        match self {
            Found::EksCluster => Some("{cluster}"),
            Found::EksNodegroup => Some("{nodegroup}"),
            Found::EfsFileSystem => Some("{file_system}"),
            Found::Change => Some("{change}"),
            _ => None,
        }
    }

    /// Its name in `--list-probes --format json`.
    pub fn key(self) -> &'static str {
        match self {
            Found::LoadBalancer => "load_balancer",
            Found::TargetGroup => "target_group",
            Found::Listener => "listener",
            Found::Rule => "rule",
            Found::ListenerCertificate => "listener_certificate",
            Found::HttpsListener => "https_listener",
            Found::InstanceTargetGroup => "instance_target_group",
            Found::Certificate => "certificate",
            Found::ServerCertificate => "server_certificate",
            Found::EksCluster => "eks_cluster",
            Found::EksNodegroup => "eks_nodegroup",
            Found::InstanceProfile => "instance_profile",
            Found::WebAcl => "web_acl",
            Found::ShieldProtection => "shield_protection",
            Found::EfsFileSystem => "efs_file_system",
            Found::CoipPool => "coip_pool",
            Found::AutoScalingGroup => "auto_scaling_group",
            Found::CognitoUserPool => "cognito_user_pool",
            Found::CognitoClient => "cognito_client",
            Found::Change => "route53_change",
        }
    }

    /// Why a made-up one will not do, for the reason a check is not
    /// attempted without a real one.
    pub fn why_real(self) -> &'static str {
        match self {
            Found::ListenerCertificate => {
                "only re-adding a certificate the list already holds adds nothing: any other certificate would be added"
            }
            // Most accounts have none: the pools are an Outposts feature.
            Found::CoipPool => {
                "customer-owned IP pools exist only with AWS Outposts, which most clusters do not run on; a made-up one would only be \"not found\", which tells nothing"
            }
            Found::Change => {
                "a change ID comes only from a change batch, and a made-up one would only be \"not found\" (NoSuchChange), which tells nothing"
            }
            _ => "a made-up one would only be \"not found\", which tells nothing",
        }
    }

    /// What a testcase that names it calls it: the one a listing finds
    /// first, or the change the run makes.
    pub fn label(self) -> String {
        match self {
            Found::Change => "a Route 53 change this run makes".to_owned(),
            f => format!("the first {} listed", f.as_str()),
        }
    }

    /// What the report says of the one found, where finding it did more
    /// than read: the change a run makes.
    pub fn found_note(self, value: &str) -> Option<String> {
        match self {
            Found::Change => Some(format!(
                "asks about change {value}, which this run made right before: in the first zone the role lists, a record written \
                 back as ListResourceRecordSets listed it (its first TXT record set deleted and created again in one batch, all or \
                 none, else its SOA upserted), which leaves the zone as it was; CloudTrail logs it as route53:ChangeResourceRecordSets"
            )),
            _ => None,
        }
    }

    /// What a deny check names where none is found: a made-up one, which a
    /// denial is as true of (`{random16}` filled in); None where a deny
    /// check needs a real one too.
    pub fn made_up(self) -> Option<&'static str> {
        match self {
            Found::Change => Some("irsa-verify-probe-{random16}"),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Found::LoadBalancer => "load balancer",
            Found::TargetGroup => "target group",
            Found::Listener => "listener",
            Found::Rule => "non-default listener rule",
            Found::ListenerCertificate => "non-default listener certificate",
            Found::HttpsListener => "HTTPS listener",
            Found::InstanceTargetGroup => "target group of target type instance",
            Found::Certificate => "ACM certificate",
            Found::ServerCertificate => "IAM server certificate",
            Found::EksCluster => "EKS cluster",
            Found::EksNodegroup => "EKS node group",
            Found::InstanceProfile => "IAM instance profile",
            Found::WebAcl => "load balancer's web ACL",
            Found::ShieldProtection => "load balancer's Shield protection",
            Found::EfsFileSystem => "EFS file system",
            Found::CoipPool => "customer-owned IP pool",
            Found::AutoScalingGroup => "Auto Scaling group",
            Found::CognitoUserPool => "Cognito user pool of an authenticate-cognito action",
            Found::CognitoClient => "Cognito app client of an authenticate-cognito action",
            Found::Change => "Route 53 change",
        }
    }
}

/// One attribute of the load balancer, target group or listener a request
/// names, read right before the write that writes it back unchanged: the
/// first of `keys()` its Describe*Attributes lists, with the value listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Attr {
    LoadBalancer,
    TargetGroup,
    Listener,
    /// One tag of the listener (AddTags): the first its DescribeTags lists
    /// with a value and a key that is not `aws:` (reserved: no caller may
    /// write one).
    ListenerTag,
    /// A target group's HealthCheckEnabled (ModifyTargetGroup), as
    /// DescribeTargetGroups lists it.
    HealthCheckEnabled,
    /// A load balancer's IpAddressType (SetIpAddressType), as
    /// DescribeLoadBalancers lists it.
    IpAddressType,
    /// A rule's Priority (SetRulePriorities), as DescribeRules lists it: a
    /// rule but the default one, whose priority is a number.
    RulePriority,
    /// An Auto Scaling group's DesiredCapacity (SetDesiredCapacity), as
    /// DescribeAutoScalingGroups lists it.
    DesiredCapacity,
}

impl Attr {
    /// Whose attribute it is: the request names that resource too.
    pub fn found(self) -> Found {
        match self {
            Attr::LoadBalancer | Attr::IpAddressType => Found::LoadBalancer,
            Attr::TargetGroup | Attr::HealthCheckEnabled => Found::TargetGroup,
            Attr::Listener | Attr::ListenerTag => Found::Listener,
            Attr::RulePriority => Found::Rule,
            Attr::DesiredCapacity => Found::AutoScalingGroup,
        }
    }

    /// The service of the read (and of the write).
    pub fn service(self) -> &'static ServiceDef {
        match self {
            Attr::DesiredCapacity => &crate::signed::services::AUTOSCALING,
            _ => &crate::signed::services::ELBV2,
        }
    }

    /// The read: its operation and the parameter naming the resource.
    pub fn read(self) -> (&'static str, &'static str) {
        match self {
            Attr::LoadBalancer => ("DescribeLoadBalancerAttributes", "LoadBalancerArn"),
            Attr::TargetGroup => ("DescribeTargetGroupAttributes", "TargetGroupArn"),
            Attr::Listener => ("DescribeListenerAttributes", "ListenerArn"),
            Attr::ListenerTag => ("DescribeTags", "ResourceArns.member.1"),
            Attr::HealthCheckEnabled => ("DescribeTargetGroups", "TargetGroupArns.member.1"),
            Attr::IpAddressType => ("DescribeLoadBalancers", "LoadBalancerArns.member.1"),
            Attr::RulePriority => ("DescribeRules", "RuleArns.member.1"),
            Attr::DesiredCapacity => (
                "DescribeAutoScalingGroups",
                "AutoScalingGroupNames.member.1",
            ),
        }
    }

    /// The keys a probe writes back, the first one listed: plain settings
    /// (a flag, a timeout) whose write triggers nothing else. None for a
    /// tag: its keys are the workload's own.
    pub fn keys(self) -> &'static [&'static str] {
        match self {
            Attr::LoadBalancer => &["deletion_protection.enabled"],
            Attr::TargetGroup => &["deregistration_delay.timeout_seconds", "stickiness.enabled"],
            Attr::Listener => &[
                "tcp.idle_timeout.seconds",
                "routing.http.response.server.enabled",
            ],
            Attr::ListenerTag => &[],
            Attr::HealthCheckEnabled => &["HealthCheckEnabled"],
            Attr::IpAddressType => &["IpAddressType"],
            Attr::RulePriority => &["Priority"],
            Attr::DesiredCapacity => &["DesiredCapacity"],
        }
    }

    /// A setting that is its own request parameter (not a Key/Value pair of
    /// an Attributes list) is written back only with one of the values its
    /// API documents: an answer read otherwise is not sent back. None where
    /// any value read may be written back.
    pub fn values(self) -> Option<&'static [&'static str]> {
        match self {
            Attr::HealthCheckEnabled => Some(&["true", "false"]),
            Attr::IpAddressType => Some(&["ipv4", "dualstack", "dualstack-without-public-ipv4"]),
            _ => None,
        }
    }

    /// Is a value read one to write back? One of `values`, a rule's
    /// priority a number SetRulePriorities takes ("Valid Range: Minimum
    /// value of 1. Maximum value of 50000."), any other value as read.
    pub fn writable(self, value: &str) -> bool {
        match self {
            Attr::RulePriority => value
                .parse::<u32>()
                .is_ok_and(|p| (1..=50_000).contains(&p) && !value.starts_with('+')),
            // A count, as listed: digits only.
            Attr::DesiredCapacity => !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()),
            _ => self.values().is_none_or(|vs| vs.contains(&value)),
        }
    }
}

/// A value in a request: fixed, or filled in when the probe is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum V {
    Lit(&'static str),
    /// A JSON number.
    Num(i64),
    /// The target's name (secret, parameter, key, log group, zone, ...).
    Name,
    /// The target's name followed by a literal (`NAME:99999`).
    NameThen(&'static str),
    /// A fresh random name: `RANDOM_NAME` with `{random}` filled in.
    Random,
    /// A fresh random string in UUID form.
    Uuid,
    /// An EC2 ID: a real one when a Describe finds one, else a made-up one.
    Id(Ec2Id),
    /// An ARN (or an ID, a path) that names nothing, from a template (`{p}`,
    /// `{r}`, `{a}`, `{random}`).
    MadeUp(&'static str),
    /// The region followed by a literal (an Availability Zone: `{r}a`).
    RegionThen(&'static str),
    /// A JSON value (lists, objects), with `{random}` filled in.
    Raw(&'static str),
    /// A real resource a listing finds (else the check is not attempted).
    Found(Found),
    /// The key of the attribute read right before the request (`Attr`).
    AttrKey(Attr),
    /// Its value, as read.
    AttrValue(Attr),
    /// Every setting of a real resource, as its Describe lists it right
    /// before, sent back as the create's own parameters (a create with the
    /// same settings); the parameter's name is `*`.
    SameAs(Copied),
}

/// A resource a create names the settings of, read right before: a create
/// whose API reference says a repeat with the same settings succeeds (and,
/// as the resource's key is taken, creates nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Copied {
    /// A listener of the load balancer the request names (its
    /// `LoadBalancerArn`, `V::Found(Found::LoadBalancer)`): the first
    /// whose every setting DescribeListeners lists.
    Listener,
}

impl Copied {
    /// Whose it is: the request names that resource too.
    pub fn parent(self) -> Found {
        match self {
            Copied::Listener => Found::LoadBalancer,
        }
    }

    /// The read: its operation, the parameter naming the parent, the list
    /// element of the answer and the element naming each one listed.
    pub fn read(self) -> (&'static str, &'static str, &'static str, &'static str) {
        match self {
            Copied::Listener => (
                "DescribeListeners",
                "LoadBalancerArn",
                "Listeners",
                "ListenerArn",
            ),
        }
    }

    /// Elements listed that the create does not take: the resource's own
    /// ARN, the parent the request already names, and what the Describe
    /// answers with only (a certificate's IsDefault: "Do not set this value
    /// when specifying a certificate as an input"; a trust store's
    /// association status).
    pub fn dropped(self) -> &'static [&'static str] {
        match self {
            Copied::Listener => &[
                "ListenerArn",
                "LoadBalancerArn",
                "IsDefault",
                "TrustStoreAssociationStatus",
            ],
        }
    }

    /// Structures listed at their default, left out as the create's own
    /// default (element, its member, the default value): mutual TLS off
    /// ("The default value is off"), whose other members a create might
    /// refuse beside it.
    pub fn defaults(self) -> &'static [(&'static str, &'static str, &'static str)] {
        match self {
            Copied::Listener => &[("MutualAuthentication", "Mode", "off")],
        }
    }

    /// Elements whose presence means the listing does not hold every
    /// setting: an OIDC action's client secret is never listed.
    pub fn incomplete_with(self) -> &'static [&'static str] {
        match self {
            Copied::Listener => &["AuthenticateOidcConfig"],
        }
    }
}

/// What `V::Random` sends: a name that says where it came from, around a
/// fresh token (32 hex digits), so nothing real can share it.
pub const RANDOM_NAME: &str = "irsa-verify-probe-{random}";

/// How a request goes out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Probe {
    /// S3, DynamoDB and instance metadata: their own modules in `probe/`.
    Sdk(Sdk),
    /// The signed-request path: one operation, its parameters (query and
    /// JSON protocols) or its path and body (REST).
    Wire(Wire),
}

/// The probes written against an SDK client; each is the probe of one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Sdk {
    ListBucket,
    GetObject,
    PutObject,
    DeleteObject,
    DescribeTable,
    ListTables,
    GetItem,
    PutItem,
    DeleteItem,
    DeleteTable,
    ImdsUnreachable,
    GetBucketLocation,
    ListBucketMultipartUploads,
    ListBucketVersions,
}

impl Sdk {
    #[cfg(test)]
    pub const ALL: [Sdk; 14] = [
        Sdk::ListBucket,
        Sdk::GetObject,
        Sdk::PutObject,
        Sdk::DeleteObject,
        Sdk::DescribeTable,
        Sdk::ListTables,
        Sdk::GetItem,
        Sdk::PutItem,
        Sdk::DeleteItem,
        Sdk::DeleteTable,
        Sdk::ImdsUnreachable,
        Sdk::GetBucketLocation,
        Sdk::ListBucketMultipartUploads,
        Sdk::ListBucketVersions,
    ];

    /// The request as one line. Written out, not cut from the row's
    /// `harmless` prose: the request is code in `probe/`, and the prose is
    /// free to use colons (`s3:ListBucket`). Exhaustive, so a new probe
    /// must say its form.
    pub const fn form(self) -> &'static str {
        match self {
            Sdk::ListBucket => "ListObjectsV2 max-keys=1",
            Sdk::GetObject => {
                "GetObject Range=bytes=0-0 on the named key; without one, ListObjectsV2 then GetObject Range=bytes=0-0 on a fresh random key"
            }
            Sdk::PutObject => "PutObject If-Match=<random ETag> on the named key, else a fresh random one",
            Sdk::DeleteObject => {
                "DeleteObject If-Match=<random ETag> on a fresh random key (a named key: unconditional, only with --allow-destructive)"
            }
            Sdk::DescribeTable => "DescribeTable",
            Sdk::ListTables => "ListTables Limit=1",
            Sdk::GetItem => "GetItem on the named key, else a random key shaped by the key schema",
            Sdk::PutItem => {
                "PutItem ConditionExpression=attribute_exists(<made-up attribute>) on the named key, else a random key"
            }
            Sdk::DeleteItem => {
                "DeleteItem ConditionExpression=attribute_exists(<made-up attribute>) on the named key, else a random key"
            }
            Sdk::DeleteTable => {
                "DeleteTable, only on a table with deletion protection (unprotected: only with --allow-destructive)"
            }
            Sdk::ImdsUnreachable => {
                "PUT /latest/api/token, then GET /latest/meta-data/iam/security-credentials/ with the token, or without one (IMDSv1) when the PUT fails (1 s timeouts, one attempt each)"
            }
            Sdk::GetBucketLocation => "GetBucketLocation",
            Sdk::ListBucketMultipartUploads => "ListMultipartUploads max-uploads=1",
            Sdk::ListBucketVersions => "ListObjectVersions max-keys=1",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wire {
    pub service: &'static ServiceDef,
    pub op: &'static str,
    /// `POST` for the query and JSON protocols.
    pub method: &'static str,
    /// REST: the path, with `{name}` and `{random}` filled in; "/" otherwise.
    pub path: &'static str,
    pub params: &'static [(&'static str, V)],
    /// restXml: the body template, filled like the path.
    pub xml: Option<&'static str>,
    /// EC2: `DryRun=true` is added (the whole point of EC2 probes).
    pub dry_run: bool,
    /// EC2 creates: the resource type of the `TagSpecification` that carries
    /// the tags the policy's `aws:RequestTag` conditions ask for.
    pub tags_for: Option<&'static str>,
}

/// Which answers a probe can give.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tells {
    /// Allowed and denied alike.
    Both,
    /// Only a denial: AWS does not document that it authorizes before it
    /// looks the made-up resource up, so "not found" says nothing. Granted
    /// actions are skipped with this reason; deny checks run.
    DenialOnly,
    /// Only a denial, except on the targets another form fits
    /// (`Otherwise`): there that form is sent instead and both answers tell.
    DenialOnlyBut(Otherwise),
    /// Only an allowed answer: the request is authorized as more than one
    /// action (a create that tags what it makes), and AWS's denial does not
    /// say which it refused, so it is could not tell. Allow checks run; no
    /// deny check is derived.
    AllowOnly,
}

/// The form a denial-only row sends instead on the targets it fits, where
/// both answers tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Otherwise {
    pub on: OtherTarget,
    pub params: &'static [(&'static str, V)],
    /// The ARNs this form's request is authorized against (as
    /// `Row::resources`).
    pub resources: &'static [&'static str],
    /// Errors AWS gives only after authorizing this form.
    pub allowed: &'static [AuthorizedError],
}

/// Which targets take a row's other form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtherTarget {
    /// An AWS public parameter (`rows::PUBLIC_PARAMETER`,
    /// `/aws/service/...`): its value is published by AWS for anyone to
    /// read, so reading it whole changes nothing and discloses nothing (the
    /// answer body is dropped unread all the same).
    PublicParameter,
    /// A secret a policy names by a pattern (`NAME-??????`, `NAME-*`), read
    /// with --from-policy: a made-up secret of that name, with a suffix no
    /// secret has, is one the pattern covers and that does not exist; only
    /// where the policies judge every secret of the name alike (no
    /// condition on the action, no Deny of it on secrets). A secret named
    /// by a spec is not one: its policy may name the real secret's exact
    /// ARN, which a made-up one is not.
    PatternSecret,
}

impl OtherTarget {
    /// What the listing says of it.
    pub fn phrase(self) -> &'static str {
        match self {
            OtherTarget::PublicParameter => "on an AWS public parameter",
            OtherTarget::PatternSecret => "on a secret a policy names by a pattern (--from-policy)",
        }
    }

    /// What the report says of a request sent in this form.
    pub fn note(self) -> &'static str {
        match self {
            OtherTarget::PublicParameter => {
                "an AWS public parameter: read as it is (AWS publishes its value for anyone); the answer body is dropped unread"
            }
            OtherTarget::PatternSecret => {
                "the policy names this secret by a pattern covering every secret of its name: the request asks for a made-up secret \
                 of that name, by a full ARN no secret has, so nothing is read and the real secret is not touched"
            }
        }
    }
}

/// One probeable action.
#[derive(Debug, Clone, Copy)]
pub struct Row {
    /// `service:Action`, as IAM names it.
    pub action: &'static str,
    pub target: TargetKind,
    pub probe: Probe,
    /// The ARNs the request is authorized against (every one must be
    /// allowed), from the Service Authorization Reference: `{p}`, `{r}`,
    /// `{a}` for the partition, region and account, `{name}` for the
    /// target, `{id}` for an EC2 ID of the type named before it.
    pub resources: &'static [&'static str],
    /// Errors AWS gives only after authorizing this request.
    pub allowed: &'static [AuthorizedError],
    pub tells: Tells,
    /// Why the call changes nothing, even when it is wrongly allowed.
    pub harmless: &'static str,
    /// The AWS documentation or observed behaviour the row rests on.
    pub basis: &'static str,
    /// Destructive: a deny check wherever the policies touch the service
    /// and do not grant it.
    pub destructive: bool,
}

impl Row {
    /// What its probe tells on a target that does, or does not, take its
    /// other form (`Otherwise`).
    pub fn tells_for(&self, other: bool) -> Tells {
        match self.tells {
            Tells::DenialOnlyBut(_) if other => Tells::Both,
            Tells::DenialOnlyBut(_) => Tells::DenialOnly,
            t => t,
        }
    }

    /// The form its request takes on the targets that fit it, when it
    /// differs from the row's own.
    pub fn otherwise(&self) -> Option<Otherwise> {
        match self.tells {
            Tells::DenialOnlyBut(o) => Some(o),
            _ => None,
        }
    }

    pub fn service(&self) -> &'static str {
        self.action.split(':').next().unwrap_or(self.action)
    }

    /// The EC2 ID types its request names itself.
    pub fn ec2_ids_sent(&self) -> Vec<Ec2Id> {
        match &self.probe {
            Probe::Wire(w) => w
                .params
                .iter()
                .filter_map(|(_, v)| match v {
                    V::Id(kind) => Some(*kind),
                    _ => None,
                })
                .collect(),
            Probe::Sdk(_) => Vec::new(),
        }
    }

    /// Does its request name a resource of this kind that a listing finds?
    pub fn names_found(&self, kind: Found) -> bool {
        match &self.probe {
            Probe::Wire(w) => w.params.iter().any(|(_, v)| *v == V::Found(kind)),
            Probe::Sdk(_) => false,
        }
    }

    /// The one load balancer, target group or listener its request names
    /// and is authorized on, when that is all it is authorized on (one
    /// resource, an ARN with the found one's `{id}`s): a check of it can be
    /// judged on that resource's tags. None for EC2 rows, Describe reads
    /// (authorized on `*`) and requests naming two found resources.
    pub fn found_by_tags(&self) -> Option<Found> {
        // EC2 rows are picked by their IDs' tags (`tags.rs`), not here; read
        // from the templates themselves, as `resource` imports this module.
        if self.resources.iter().any(|t| t.contains(":ec2:")) {
            return None;
        }
        let named: Vec<Found> = Found::TAGGABLE
            .into_iter()
            .filter(|f| self.names_found(*f))
            .collect();
        match (named.as_slice(), self.resources) {
            ([kind], [only])
                if only.contains("{id}") && only.contains(":elasticloadbalancing:") =>
            {
                Some(*kind)
            }
            _ => None,
        }
    }

    /// ec2:CreateTags sent as a create that tags what it makes: the
    /// create's operation (its request carries a `TagSpecification`).
    pub fn tags_on_create(&self) -> Option<&'static str> {
        match &self.probe {
            Probe::Wire(w) if self.action == "ec2:CreateTags" && w.op != "CreateTags" => {
                w.tags_for.map(|_| w.op)
            }
            _ => None,
        }
    }

    /// The tags an EC2 CreateTags or DeleteTags request names for the
    /// resource that exists (`Tag.N.Key`, with `Tag.N.Value` where it sends
    /// one); None for every other request.
    pub fn tags_named(&self) -> Option<Vec<(String, Option<String>)>> {
        let Probe::Wire(w) = &self.probe else {
            return None;
        };
        if w.service.iam_prefix != "ec2" || !matches!(w.op, "CreateTags" | "DeleteTags") {
            return None;
        }
        let lit = |name: &str| {
            w.params.iter().find_map(|(k, v)| match v {
                V::Lit(s) if *k == name => Some((*s).to_owned()),
                _ => None,
            })
        };
        Some(
            (1..=w.params.len())
                .map_while(|n| {
                    lit(&format!("Tag.{n}.Key")).map(|k| (k, lit(&format!("Tag.{n}.Value"))))
                })
                .collect(),
        )
    }

    /// The request as one line, for `--list-probes` and the report's "via".
    pub fn form(&self) -> String {
        match &self.probe {
            Probe::Sdk(s) => s.form().to_owned(),
            Probe::Wire(w) => {
                let mut parts: Vec<String> = Vec::new();
                if w.dry_run {
                    parts.push("DryRun=true".to_owned());
                }
                parts.extend(w.params.iter().map(|(k, v)| match v {
                    // Many parameters, named by what is read.
                    V::SameAs(_) => describe(v),
                    _ => format!("{k}={}", describe(v)),
                }));
                let head = if w.path == "/" {
                    w.op.to_owned()
                } else {
                    format!("{} {} {}", w.op, w.method, w.path)
                };
                let form = if parts.is_empty() {
                    head
                } else {
                    format!("{head} {}", parts.join(" "))
                };
                match self.otherwise() {
                    Some(o) => {
                        let other: Vec<String> = o
                            .params
                            .iter()
                            .map(|(k, v)| format!("{k}={}", describe(v)))
                            .collect();
                        format!("{form}; {}: {} {}", o.on.phrase(), w.op, other.join(" "))
                    }
                    None => form,
                }
            }
        }
    }
}

fn describe(v: &V) -> String {
    match v {
        V::Lit(s) => (*s).to_owned(),
        V::Num(n) => n.to_string(),
        V::Name => "<name>".to_owned(),
        V::NameThen(s) => format!("<name>{s}"),
        V::Random => "<random>".to_owned(),
        V::Uuid => "<random uuid>".to_owned(),
        V::Id(k) => format!("<{} ID: a real one, else made up>", k.parts().1),
        // A made-up ID or path (`i-0{random16}`) shows its shape.
        V::MadeUp(s)
            if !s.starts_with("arn:")
                && !s
                    .replace("{random16}", "")
                    .replace("{random}", "")
                    .contains('{') =>
        {
            s.replace("{random16}", "<random>")
                .replace("{random}", "<random>")
        }
        V::MadeUp(_) => "<made-up ARN>".to_owned(),
        V::RegionThen(s) => format!("<region>{s}"),
        V::Raw(s) => (*s).to_owned(),
        V::Found(f) => format!("<{}>", f.label()),
        V::AttrKey(Attr::ListenerTag) => {
            "<the first tag, not aws:, that DescribeTags lists with a value>".to_owned()
        }
        V::AttrKey(a) => format!(
            "<the first of {} that {} lists>",
            a.keys().join(", "),
            a.read().0
        ),
        V::AttrValue(a) => format!("<its value as {} lists it>", a.read().0),
        V::SameAs(c) => format!(
            "<every setting of a listener of that {}, as {} lists it>",
            c.parent().as_str(),
            c.read().0
        ),
    }
}

/// The row of an action name (IAM names are case-insensitive): its first.
pub fn find(name: &str) -> Option<usize> {
    ROWS.iter()
        .position(|r| r.action.eq_ignore_ascii_case(name))
}

/// Is `ROWS[i]` a later row of an action an earlier row has: the same
/// request aimed at a resource of another EC2 type (CreateTags and
/// DeleteTags take the ID of any taggable resource), or ec2:CreateTags sent
/// as a create that tags what it makes (`Row::tags_on_create`)? Such a row
/// is derived only where a policy grants its action on its type, and a spec
/// reaches it by the type it picks.
pub fn retargets(i: usize) -> bool {
    ROWS.get(i).is_some_and(|r| find(r.action) != Some(i))
}

/// The rows of an action, its first one first.
pub fn rows_of(name: &str) -> impl Iterator<Item = usize> + '_ {
    (0..ROWS.len()).filter(move |i| ROWS[*i].action.eq_ignore_ascii_case(name))
}

/// The distinct actions of the catalogue.
pub fn action_count() -> usize {
    (0..ROWS.len()).filter(|i| !retargets(*i)).count()
}

/// `--list-probes`: every row, its probe and its basis. Pure.
pub fn listing() -> String {
    let mut out = String::from(
        "irsa-verify probe catalogue: action, tells, probe, why harmless, basis.\n\
         Every row: a 2xx answer means allowed (\"After your request has been authenticated and authorized, AWS approves the actions or \
         operations in your request\", IAM User Guide, How IAM works), and so do the errors a row names; AWS's denials (AccessDenied, \
         AccessDeniedException, UnauthorizedOperation, AuthorizationError) mean denied; any other answer is could not tell.\n",
    );
    for (i, r) in ROWS.iter().enumerate() {
        let tells = match r.tells {
            Tells::Both => "allow+deny",
            Tells::DenialOnly => "deny only",
            Tells::DenialOnlyBut(o) => match o.on {
                OtherTarget::PublicParameter => "deny only; allow+deny on an AWS public parameter",
                OtherTarget::PatternSecret => {
                    "deny only; allow+deny on a secret a policy names by a pattern"
                }
            },
            Tells::AllowOnly => "allow only",
        };
        // A later row of an action says which resource type it aims at, or
        // which create it is sent as.
        let again = if let (true, Some(op)) = (retargets(i), r.tags_on_create()) {
            format!(" (on what {op} creates)")
        } else if retargets(i) {
            let types: Vec<&str> = r.ec2_ids_sent().iter().map(|k| k.parts().1).collect();
            let types = types.join(" and ");
            let article = if types.starts_with(['a', 'e', 'i', 'o', 'u']) {
                "an"
            } else {
                "a"
            };
            format!(" (again, on {article} {types})")
        } else {
            String::new()
        };
        out.push_str(&format!(
            "\n{}{again}{}  [{tells}]\n  probe:    {}\n  harmless: {}\n  basis:    {}\n",
            r.action,
            if r.destructive { " (destructive)" } else { "" },
            r.form(),
            r.harmless,
            r.basis
        ));
    }
    out.push_str(&format!(
        "\n{} actions. Never probed, with the reason:\n",
        action_count()
    ));
    for (pattern, reason) in rows::NEVER {
        out.push_str(&format!("  {pattern}: {reason}\n"));
    }
    out
}

/// `--list-probes --format json`: the same catalogue as `listing()`, every
/// field of every row as data, for tools that check the catalogue against
/// something else (tests/emulator/check_fidelity.py sends each wire row).
/// Pure and deterministic: rows in `ROWS` order, object keys sorted.
pub fn listing_json() -> String {
    use serde_json::{json, Value};
    let rows: Vec<Value> = ROWS
        .iter()
        .map(|r| {
            json!({
                "action": r.action,
                "service": r.service(),
                "target": target_name(r.target),
                "tells": match r.tells {
                    Tells::Both => "both",
                    Tells::DenialOnly | Tells::DenialOnlyBut(_) => "denial-only",
                    Tells::AllowOnly => "allow-only",
                },
                // On the targets it fits: these params instead, and both
                // answers tell.
                "otherwise": r.otherwise().map(|o| json!({
                    "on": format!("{:?}", o.on),
                    "resources": o.resources,
                    "params": o.params.iter().map(|(name, v)| json!({
                        "name": name,
                        "value": value_json(v),
                    })).collect::<Vec<_>>(),
                    "allowed": o.allowed.iter().map(|a| json!({
                        "code": a.code,
                        "message_has": a.message_has,
                    })).collect::<Vec<_>>(),
                })),
                "destructive": r.destructive,
                "harmless": r.harmless,
                "basis": r.basis,
                "resources": r.resources,
                "allowed": r.allowed.iter().map(|a| json!({
                    "code": a.code,
                    "message_has": a.message_has,
                })).collect::<Vec<_>>(),
                "request": request_json(&r.probe),
            })
        })
        .collect();
    let never: Vec<Value> = rows::NEVER
        .iter()
        .map(|(pattern, reason)| json!({"pattern": pattern, "reason": reason}))
        .collect();
    // What the templates in `resources`, `path`, `xml` and the values say;
    // filled as src/probe/wire.rs fills them.
    let placeholders = json!({
        "{p}": "the partition (aws, aws-cn, aws-us-gov)",
        "{r}": "the region",
        "{a}": "the account",
        "{name}": "the target's name (secret, parameter, key, log group, hosted zone ID, queue, topic, EKS cluster); in a request, a role's full ARN, and in resources, its path and name",
        "{id}": "in resources: the ID of the resource type it follows (an EC2 ID, EKS cluster then node group, certificate, server certificate, EFS file system), or each part of an Elastic Load Balancing ARN found (load balancer name and ID, listener ID, rule ID; target group name and ID)",
        "{random}": "a fresh random token, 32 hex digits, one per request",
        "{random16}": "the first 16 hex digits of {random}",
        "{uuid}": "{random} in the form of a UUID (8-4-4-4-12 hex digits)",
        "{changes}": "a record write-back's changes, read right before: the hosted zone's first TXT record set as ListResourceRecordSets lists it (its XML, verbatim), deleted then created; else its SOA record set, upserted",
        "{cluster}": "the EKS cluster found (value kind found: eks_cluster)",
        "{nodegroup}": "the EKS node group found (value kind found: eks_nodegroup)",
        "{file_system}": "the EFS file system found, by ID (value kind found: efs_file_system)",
    });
    let doc = json!({
        "source": crate::sar::source(),
        "placeholders": placeholders,
        "rows": rows,
        "never": never,
    });
    let mut out = serde_json::to_string_pretty(&doc).expect("the catalogue serializes");
    out.push('\n');
    out
}

fn target_name(t: TargetKind) -> &'static str {
    match t {
        TargetKind::Account => "account",
        TargetKind::Bucket => "bucket",
        TargetKind::Object { .. } => "object",
        TargetKind::Table => "table",
        TargetKind::Item => "item",
        TargetKind::Node => "node",
        TargetKind::Named(k) => k.as_str(),
    }
}

fn request_json(probe: &Probe) -> serde_json::Value {
    use serde_json::json;
    match probe {
        Probe::Sdk(s) => json!({"sdk": format!("{s:?}"), "form": s.form()}),
        Probe::Wire(w) => json!({
            "protocol": w.service.protocol.name(),
            "signing_name": w.service.signing_name,
            "version": w.service.version,
            "global": w.service.global,
            "operation": w.op,
            "method": w.method,
            "path": w.path,
            "dry_run": w.dry_run,
            "tags_for": w.tags_for,
            "xml": w.xml,
            "params": w.params.iter().map(|(name, v)| json!({
                "name": name,
                "value": value_json(v),
            })).collect::<Vec<_>>(),
        }),
    }
}

fn value_json(v: &V) -> serde_json::Value {
    use serde_json::json;
    match v {
        V::Lit(s) => json!({"kind": "lit", "text": s}),
        V::Num(n) => json!({"kind": "num", "number": n}),
        V::Name => json!({"kind": "name"}),
        V::NameThen(s) => json!({"kind": "name_then", "template": s}),
        V::Random => json!({"kind": "random", "template": RANDOM_NAME}),
        V::Uuid => json!({"kind": "uuid"}),
        V::Id(k) => json!({"kind": "id", "id_type": k.parts().1}),
        V::MadeUp(s) => json!({"kind": "made_up", "template": s}),
        V::RegionThen(s) => json!({"kind": "region_then", "text": s}),
        V::Raw(s) => json!({"kind": "raw", "template": s}),
        V::Found(f) => json!({"kind": "found", "found": f.key()}),
        V::AttrKey(a) | V::AttrValue(a) => json!({
            "kind": if matches!(v, V::AttrKey(_)) { "attribute_key" } else { "attribute_value" },
            "found": a.found().key(),
            "read": a.read().0,
            "read_param": a.read().1,
            "keys": a.keys(),
        }),
        V::SameAs(c) => json!({
            "kind": "same_settings",
            "found": c.parent().key(),
            "read": c.read().0,
            "read_param": c.read().1,
            "list": c.read().2,
            "id": c.read().3,
            "dropped": c.dropped(),
            "defaults": c.defaults().iter().map(|(e, m, v)| json!({"element": e, "member": m, "value": v})).collect::<Vec<_>>(),
            "incomplete_with": c.incomplete_with(),
        }),
    }
}

/// Why an action is never probed, if it is one of those.
pub fn never(action: &str) -> Option<&'static str> {
    rows::NEVER
        .iter()
        .find(|(p, _)| crate::glob::wildcard(p, action, true))
        .map(|(_, why)| *why)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The listing once cut each SDK row's prose at its first ':', which
    /// left s3:GetObject's form ending "... proves s3".
    #[test]
    fn sdk_forms_are_whole_and_not_cut_from_the_prose() {
        for r in ROWS {
            let form = r.form();
            assert!(!form.is_empty() && !form.contains('\n'), "{}", r.action);
            // A form that is its prose up to a ':' inside an action name.
            if let Some(rest) = r.harmless.strip_prefix(&form) {
                assert!(
                    !rest.starts_with(':') || rest[1..].starts_with(' '),
                    "{}: its form is cut mid-word: {form}",
                    r.action
                );
            }
        }
        let get = &ROWS[find("s3:GetObject").expect("a GetObject row")];
        assert!(
            get.form().ends_with("on a fresh random key"),
            "{}",
            get.form()
        );
    }

    /// Only rows with a public form tell both ways on a public parameter,
    /// and their listing shows that form.
    #[test]
    fn a_public_form_tells_both_only_on_a_public_parameter() {
        let get = &ROWS[find("ssm:GetParameter").expect("a GetParameter row")];
        assert_eq!(get.tells_for(false), Tells::DenialOnly);
        assert_eq!(get.tells_for(true), Tells::Both);
        assert!(
            get.form()
                .ends_with("; on an AWS public parameter: GetParameter Name=<name>"),
            "{}",
            get.form()
        );
        assert!(get
            .basis
            .contains("parameter-store-public-parameters-ami.html"));
        // The parameter probed is the one its user guide names, and the
        // account-less ARN is the form the Systems Manager guide shows for
        // its path.
        let (path, name) = PUBLIC_PARAMETER.rsplit_once('/').expect("a path");
        assert!(get.basis.contains(&format!("add {path}/ before")));
        assert!(get.basis.contains(&format!("\"{name} for x86_64")));
        assert!(get.basis.contains("linux/al2023/ug/ec2.html"));
        assert!(get.basis.contains(&format!(
            "\"ARN\": \"arn:aws:ssm:us-east-2::parameter{path}/"
        )));
        for r in ROWS.iter().filter(|r| r.otherwise().is_none()) {
            assert_eq!(r.tells_for(true), r.tells_for(false), "{}", r.action);
        }
    }

    /// GetCoipPoolUsage reads a pool DescribeCoipPools lists, with DryRun;
    /// where none is listed, the reason says why most clusters have none.
    #[test]
    fn a_coip_pool_usage_read_names_a_listed_pool() {
        let r = &ROWS[find("ec2:GetCoipPoolUsage").expect("a GetCoipPoolUsage row")];
        assert_eq!(
            r.form(),
            "GetCoipPoolUsage DryRun=true PoolId=<the first customer-owned IP pool listed>"
        );
        assert!(r.basis.contains("API_GetCoipPoolUsage.html"), "{}", r.basis);
        assert!(Found::CoipPool.why_real().contains("Outposts"));
    }

    /// CreateTags and DeleteTags have a later row on a security group: the
    /// name finds the first, the listing shows both and counts the action
    /// once, and each names the tags its request carries.
    #[test]
    fn a_later_row_of_an_action_aims_at_another_type() {
        for (action, types) in [
            (
                "ec2:CreateTags",
                &[Ec2Id::SecurityGroup, Ec2Id::Instance][..],
            ),
            ("ec2:DeleteTags", &[Ec2Id::SecurityGroup][..]),
        ] {
            let rows: Vec<usize> = rows_of(action)
                .filter(|i| ROWS[*i].tags_on_create().is_none())
                .collect();
            assert_eq!(rows.len(), 1 + types.len(), "{action}");
            assert_eq!(find(action), Some(rows[0]));
            assert!(!retargets(rows[0]));
            for (i, ty) in rows[1..].iter().zip(types) {
                assert!(retargets(*i));
                assert_eq!(ROWS[*i].ec2_ids_sent(), [*ty]);
                let (ty, article) = (
                    ty.parts().1,
                    if *ty == Ec2Id::Instance { "an" } else { "a" },
                );
                assert!(listing().contains(&format!("\n{action} (again, on {article} {ty})")));
            }
        }
        assert_eq!(
            action_count(),
            ROWS.len() - (0..ROWS.len()).filter(|i| retargets(*i)).count()
        );
        assert!(listing().contains(&format!("\n{} actions.", action_count())));
        let create = &ROWS[find("ec2:CreateTags").unwrap()];
        assert_eq!(
            create.tags_named(),
            Some(vec![(
                "irsa-verify-probe".to_owned(),
                Some("dry-run".to_owned())
            )])
        );
        let delete = &ROWS[find("ec2:DeleteTags").unwrap()];
        assert_eq!(
            delete.tags_named(),
            Some(vec![("irsa-verify-probe".to_owned(), None)])
        );
        assert_eq!(ROWS[find("ec2:CreateVolume").unwrap()].tags_named(), None);
        // ec2:CreateTags sent as a create: that create's own request, told
        // only when allowed.
        let creates: Vec<&str> = rows_of("ec2:CreateTags")
            .filter_map(|i| ROWS[i].tags_on_create())
            .collect();
        assert_eq!(
            creates,
            [
                "CreateSecurityGroup",
                "CreateVolume",
                "CreateLaunchTemplate"
            ]
        );
        for i in rows_of("ec2:CreateTags").filter(|i| ROWS[*i].tags_on_create().is_some()) {
            let r = &ROWS[i];
            let op = r.tags_on_create().unwrap_or_default();
            let create = &ROWS[find(&format!("ec2:{op}")).unwrap()];
            assert_eq!((r.probe, r.resources), (create.probe, create.resources));
            assert_eq!(r.tells, Tells::AllowOnly);
            assert!(listing().contains(&format!(
                "\nec2:CreateTags (on what {op} creates)  [allow only]"
            )));
        }
    }

    /// Every action the catalogue probes has its row: otherwise its
    /// checks would leave a service key open that the SAR settles.
    #[test]
    fn the_condition_snapshot_holds_every_catalogue_action() {
        for row in ROWS {
            let service = row.action.split(':').next().unwrap_or_default();
            let listed = include_str!("../sar/resources.tsv")
                .lines()
                .any(|l| l.starts_with(&format!("{service}:")));
            if listed {
                assert!(
                    crate::sar::carries(row.action, &format!("{service}:NoSuchKey")).is_some(),
                    "{} is not in src/sar/conditions.tsv: rerun scripts/sar-snapshot.py",
                    row.action
                );
            }
        }
    }

    /// Only a request authorized on the Elastic Load Balancing resource it
    /// names is judged on that resource's tags: naming a load balancer
    /// while authorized on another service's resource is not.
    #[test]
    fn only_an_elb_resource_named_and_authorized_on_is_picked_by_its_tags() {
        let row = &ROWS[find("elasticloadbalancing:ModifyLoadBalancerAttributes").unwrap()];
        assert_eq!(row.found_by_tags(), Some(Found::LoadBalancer));
        for other in [
            "arn:{p}:wafv2:{r}:{a}:regional/webacl/{id}/{id}",
            "arn:{p}:shield::{a}:protection/{id}",
        ] {
            let moved = Row {
                resources: Box::leak(Box::new([other])),
                ..*row
            };
            assert_eq!(moved.found_by_tags(), None, "{other}");
        }
        // A pattern with no found ID is not one resource either.
        let any = Row {
            resources: &["arn:{p}:elasticloadbalancing:{r}:{a}:loadbalancer/app/*"],
            ..*row
        };
        assert_eq!(any.found_by_tags(), None);
    }

    #[test]
    fn the_json_listing_carries_every_row_as_data() {
        let text = listing_json();
        assert_eq!(text, listing_json(), "deterministic");
        let doc: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(doc["source"], crate::sar::source());
        assert_eq!(
            doc["never"].as_array().map(Vec::len),
            Some(rows::NEVER.len())
        );
        let rows = doc["rows"].as_array().expect("rows");
        assert_eq!(rows.len(), ROWS.len());
        let kinds = [
            "same_settings",
            "lit",
            "num",
            "name",
            "name_then",
            "random",
            "uuid",
            "id",
            "made_up",
            "region_then",
            "raw",
            "found",
            "attribute_key",
            "attribute_value",
        ];
        for (row, r) in rows.iter().zip(ROWS) {
            assert_eq!(row["action"], r.action);
            assert_eq!(row["service"], r.service());
            assert_eq!(row["destructive"], r.destructive);
            let resources: Vec<&str> = row["resources"]
                .as_array()
                .expect("resources")
                .iter()
                .filter_map(|v| v.as_str())
                .collect();
            assert_eq!(resources, r.resources, "{}", r.action);
            assert_eq!(
                row["allowed"].as_array().map(Vec::len),
                Some(r.allowed.len())
            );
            let request = &row["request"];
            match &r.probe {
                Probe::Sdk(s) => {
                    assert_eq!(request["sdk"], format!("{s:?}"));
                    assert_eq!(request["form"], s.form());
                }
                Probe::Wire(w) => {
                    assert_eq!(request["protocol"], w.service.protocol.name());
                    assert_eq!(request["operation"], w.op);
                    assert_eq!(request["dry_run"], w.dry_run);
                    let params = request["params"].as_array().expect("params");
                    assert_eq!(params.len(), w.params.len(), "{}", r.action);
                    for (p, (name, _)) in params.iter().zip(w.params) {
                        assert_eq!(p["name"], *name);
                        let kind = p["value"]["kind"].as_str().expect("a kind");
                        assert!(kinds.contains(&kind), "{}: {kind}", r.action);
                    }
                }
            }
        }
    }
}
