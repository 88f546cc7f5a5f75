//! The real resources a request names, looked up once per run: the load
//! balancers, listeners, rules, certificates, clusters, zones and EC2 IDs a
//! listing finds (picked by their tags where a grant's conditions ask), and
//! the setting a write-back writes back, read right before. What a lookup
//! finds is handed to `wire`, which fills the row's request with it.

use super::Ctx;
use crate::answer::Answer;
use crate::catalogue::{Attr, Ec2Id, Found};
use crate::check::{IdPick, Place};
use crate::signed::services::{
    ServiceDef, ACM, AUTOSCALING, EC2, EFS, EKS, ELBV2, IAM, ROUTE53, SHIELD, WAFV2,
};
use crate::signed::{Body, Request};
use crate::tags::Listed;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Lookup {
    #[error("{0} listed none")]
    ListedNone(&'static str),
    /// It listed some, none of them the kind the probe needs.
    #[error("{op} listed no {what}")]
    NoneFits {
        op: &'static str,
        what: &'static str,
    },
    #[error("{op}: {answer}")]
    Refused { op: &'static str, answer: String },
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Each(Vec<Lookup>),
    /// A read right before, refused or empty, as it says.
    #[error("{0}")]
    Read(String),
}

fn refused(op: &'static str, answer: &Answer) -> Lookup {
    Lookup::Refused {
        op,
        answer: answer.summary(),
    }
}

/// Each non-empty `<element>VALUE</element>` of an XML answer, in order.
fn elements<'a>(xml: &'a str, element: &str) -> impl Iterator<Item = &'a str> {
    let open = format!("<{element}>");
    let mut rest = xml;
    std::iter::from_fn(move || loop {
        let i = rest.find(&open)?;
        rest = &rest[i + open.len()..];
        let end = rest.find('<')?;
        let v = rest[..end].trim();
        rest = &rest[end..];
        if !v.is_empty() {
            return Some(v);
        }
    })
}

/// The first `<element>VALUE</element>` of an XML answer.
fn first_element(xml: &str, element: &str) -> Option<String> {
    elements(xml, element).next().map(str::to_owned)
}

/// Every `<element>VALUE</element>` of an XML answer, each once.
fn all_elements(xml: &str, element: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for v in elements(xml, element) {
        if !out.iter().any(|o| o == v) {
            out.push(v.to_owned());
        }
    }
    out
}

/// How many EC2 resources of one type a lookup lists at most, and how many
/// a page asks for (every Describe it sends takes 5 to 200 or more):
/// enough for a cluster's own, a bound on one answer's memory (an unpaged
/// DescribeInstances lists every instance, at kilobytes each) and on the
/// round trips.
const EC2_LISTED_AT_MOST: usize = 500;
const EC2_PAGE: usize = 100;

/// The real EC2 IDs of this type a Describe lists (its first
/// `EC2_LISTED_AT_MOST`, page by page), each with the tags its item lists,
/// once per run for each set of `keys`: with keys, only those carrying one
/// of them (the `tag-key` filter), so that a resource a tagged pick asks
/// for is found among thousands.
pub(super) async fn ec2_ids(
    ctx: &Ctx,
    kind: Ec2Id,
    keys: Vec<String>,
) -> Result<Vec<Listed>, Lookup> {
    super::once_per_run(&ctx.ec2_ids, (kind, keys.clone()))
        .get_or_init(|| async { list_ec2(ctx, kind, &keys).await })
        .await
        .clone()
}

/// One Describe's listing, page by page, filtered on `keys` when given.
async fn list_ec2(ctx: &Ctx, kind: Ec2Id, keys: &[String]) -> Result<Vec<Listed>, Lookup> {
    let (_, _, op, element) = kind.parts();
    let mut listed: Vec<Listed> = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut params = vec![("MaxResults".to_owned(), EC2_PAGE.to_string())];
        if matches!(kind, Ec2Id::Image | Ec2Id::Snapshot) {
            params.push(("Owner.1".to_owned(), "self".to_owned()));
        }
        if !keys.is_empty() {
            params.push(("Filter.1.Name".to_owned(), "tag-key".to_owned()));
            for (i, key) in keys.iter().enumerate() {
                params.push((format!("Filter.1.Value.{}", i + 1), key.clone()));
            }
        }
        if let Some(t) = token.take() {
            params.push(("NextToken".to_owned(), t));
        }
        let request = Request {
            service: &EC2,
            operation: op,
            method: "POST",
            path: "/".to_owned(),
            body: Body::Form(params),
        };
        let reply = ctx
            .send(&request, None)
            .await
            .map_err(|a| refused(op, &a))?;
        let page = all_elements(reply.text(), element)
            .into_iter()
            .filter(|id| !listed.iter().any(|l| l.id == *id))
            .collect();
        listed.extend(crate::tags::with_tags(page, reply.text(), element));
        token = next_page(reply.text(), listed.len());
        if token.is_none() {
            break;
        }
    }
    if listed.is_empty() {
        Err(Lookup::ListedNone(op))
    } else {
        Ok(listed)
    }
}

/// The token of an EC2 answer's next page, unless `listed` resources are
/// already as many as a lookup reads. Pure.
fn next_page(xml: &str, listed: usize) -> Option<String> {
    if listed >= EC2_LISTED_AT_MOST {
        return None;
    }
    first_element(xml, "nextToken")
}

/// The ID a check's pick names, from the IDs listed: its own when exact;
/// else the first whose ARN none of the pick's patterns names (and, for a
/// tagged pick, whose listed tags meet the pick's), else a made-up one
/// that none names either (never for a tagged pick: a made-up ID has no
/// tags). Pure. `Err` when none fits.
pub(super) fn pick_id(
    kind: Ec2Id,
    pick: Option<&IdPick>,
    listed: &[Listed],
    arn_of: impl Fn(&str) -> String,
    made_up: &str,
) -> Result<(String, bool), String> {
    let (avoid, tags): (&[String], _) = match pick {
        Some(IdPick::Exact(id)) => return Ok((id.clone(), true)),
        Some(IdPick::Outside(patterns)) => (patterns, None),
        Some(IdPick::Tagged { outside, tags }) => (outside, Some(tags)),
        None => (&[], None),
    };
    let outside = |id: &str| {
        let arn = arn_of(id);
        !avoid.iter().any(|p| crate::glob::wildcard(p, &arn, false))
    };
    if let Some(wanted) = tags {
        let ty = kind.parts().1;
        return match listed.iter().find(|l| {
            outside(&l.id)
                && l.tags
                    .as_deref()
                    .is_some_and(|t| wanted.satisfied_by(t) == Some(true))
        }) {
            Some(l) => Ok((l.id.clone(), true)),
            None => Err(format!(
                "no {ty} {} among the {} {ty}(s) {} listed{}{}; the grant's resource-tag conditions are met only on such a {ty}, \
                 and a made-up one has no tags",
                wanted.phrase(),
                listed.len(),
                kind.parts().2,
                if listed.len() >= EC2_LISTED_AT_MOST {
                    format!(" (a lookup reads the first {EC2_LISTED_AT_MOST})")
                } else {
                    String::new()
                },
                if avoid.is_empty() {
                    String::new()
                } else {
                    format!(" outside {}", avoid.join(", "))
                }
            )),
        };
    }
    if let Some(l) = listed.iter().find(|l| outside(&l.id)) {
        return Ok((l.id.clone(), true));
    }
    if outside(made_up) {
        return Ok((made_up.to_owned(), false));
    }
    Err(format!(
        "every {} listed, and a made-up one, is named by the policy's patterns ({})",
        kind.parts().1,
        avoid.join(", ")
    ))
}

/// The `<member>` blocks of an XML answer's outer list, each with what it
/// nests (a rule's actions and conditions are members too).
fn outer_members(xml: &str) -> Vec<&str> {
    const OPEN: &str = "<member>";
    const CLOSE: &str = "</member>";
    let mut out = Vec::new();
    let (mut depth, mut start, mut at) = (0usize, 0usize, 0usize);
    while at < xml.len() {
        let rest = &xml[at..];
        if rest.starts_with(OPEN) {
            if depth == 0 {
                start = at + OPEN.len();
            }
            depth += 1;
            at += OPEN.len();
        } else if rest.starts_with(CLOSE) {
            if depth == 1 {
                out.push(&xml[start..at]);
            }
            depth = depth.saturating_sub(1);
            at += CLOSE.len();
        } else {
            at += rest.chars().next().map_or(1, char::len_utf8);
        }
    }
    out
}

/// `element` of the first outer member whose own `key` holds `want` (the
/// first rule whose IsDefault is false). Only the member's own elements
/// count, not those of a list it nests: a listener's redirect action has a
/// Protocol of its own. Pure.
fn first_member_where(xml: &str, element: &str, key: &str, want: &str) -> Option<String> {
    outer_members(xml)
        .into_iter()
        .filter(|m| first_element(&own_level(m), key).is_some_and(|v| v == want))
        .find_map(|m| first_element(m, element))
}

/// A member's text without the `<member>` blocks it nests. Pure.
fn own_level(member: &str) -> String {
    outer_members(member)
        .into_iter()
        .fold(member.to_owned(), |own, nested| {
            own.replacen(&format!("<member>{nested}</member>"), "", 1)
        })
}

/// A found ARN is of the kind the check was judged on: a Network Load
/// Balancer's listener (`listener/net/...`) is not the `listener/app/...`
/// the expectation was evaluated for. Among the row's ARN templates of the
/// found ARN's service and resource type, one must match it; none of that
/// type, nothing to hold it to. Pure.
pub(super) fn fits(templates: &[&str], place: &Place, value: &str) -> Result<(), String> {
    let Some(kind) = kind_of(value) else {
        return Ok(());
    };
    let values = crate::resource::Values {
        partition: &place.partition,
        region: &place.region,
        account: &place.account,
        name: "",
        ids: Vec::new(),
        unknown: crate::resource::Unknown::Any,
        random: crate::resource::STABLE,
    };
    let same: Vec<String> = templates
        .iter()
        .map(|t| crate::resource::fill(t, &values))
        .filter(|t| kind_of(t).as_ref() == Some(&kind))
        .collect();
    if same.is_empty() || same.iter().any(|p| crate::glob::wildcard(p, value, false)) {
        Ok(())
    } else {
        Err(same.join(", "))
    }
}

/// An ARN's service and resource type (`elasticloadbalancing`,
/// `listener`); None for anything else. Pure.
fn kind_of(arn: &str) -> Option<(String, String)> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    match parts[..] {
        ["arn", _, service, _, _, rest] => Some((
            service.to_owned(),
            rest.split(['/', ':']).next().unwrap_or(rest).to_owned(),
        )),
        _ => None,
    }
}

/// Is `found` the one resource of `pattern` the request named: an ARN of
/// the pattern's own service and type that the pattern matches? A `*` (a
/// Describe authorized on every resource) names no resource. Pure.
pub(super) fn names_exactly(pattern: &str, found: &str) -> bool {
    kind_of(found).is_some_and(|k| kind_of(pattern) == Some(k))
        && crate::glob::wildcard(pattern, found, false)
}

/// Why a tagged pick's ID was probed: its tags, as its Describe listed
/// them, those the requirement tests. Pure.
pub(super) fn tagged_note(
    kind: Ec2Id,
    id: &str,
    wanted: &crate::tags::TagRequirement,
    listed: &[Listed],
) -> String {
    picked_note(id, kind.parts().1, kind.parts().2, wanted, listed)
}

/// Why a resource picked by its tags was probed, in one sentence: `id`, a
/// `what` the `listing` lists with the tags the requirement tests (or
/// none of them). Pure.
fn picked_note(
    id: &str,
    what: &str,
    listing: &str,
    wanted: &crate::tags::TagRequirement,
    listed: &[Listed],
) -> String {
    let keys = wanted.keys();
    let shown: Vec<String> = listed
        .iter()
        .find(|l| l.id == id)
        .and_then(|l| l.tags.as_ref())
        .map(|tags| {
            tags.iter()
                .filter(|(k, _)| keys.iter().any(|w| w.eq_ignore_ascii_case(k)))
                .map(|(k, v)| format!("{k}={v}"))
                .collect()
        })
        .unwrap_or_default();
    format!(
        "{id} was picked as a {what} {}: {listing} lists it with {}",
        wanted.phrase(),
        if shown.is_empty() {
            format!("none of the tags {}", keys.join(", "))
        } else {
            format!("the tag(s) {}", shown.join(", "))
        }
    )
}

/// The first `"key":"value"` of a JSON answer.
fn first_json_string(json: &str, key: &str) -> Option<String> {
    let needle = format!("\"{key}\"");
    let rest = &json[json.find(&needle)? + needle.len()..];
    let rest = &rest[rest.find('"')? + 1..];
    Some(rest[..rest.find('"')?].to_owned()).filter(|v| !v.is_empty())
}

/// The first string of a JSON answer's list (`"clusters": ["a", ...]`).
fn first_json_item(json: &str, key: &str) -> Option<String> {
    let needle = format!("\"{key}\"");
    let rest = &json[json.find(&needle)? + needle.len()..];
    let rest = rest
        .trim_start()
        .strip_prefix(':')?
        .trim_start()
        .strip_prefix('[')?;
    let rest = rest.trim_start().strip_prefix('"')?;
    Some(rest[..rest.find('"')?].to_owned()).filter(|v| !v.is_empty())
}

/// A real resource of another service, once per run: the first a listing
/// names.
pub(super) async fn found(ctx: &Ctx, kind: Found) -> Result<String, Lookup> {
    let cell = ctx.found.get(&kind).expect("every Found has a cell");
    cell.get_or_init(|| async move {
        let form = |service: &'static ServiceDef,
                    operation: &'static str,
                    params: Vec<(String, String)>| Request {
            service,
            operation,
            method: "POST",
            path: "/".to_owned(),
            body: Body::Form(params),
        };
        // `only`: the member's element that must hold a value (IsDefault
        // false, TargetType instance), and what such a member is.
        let mut only: Option<(&str, &str, &'static str)> = None;
        let (request, element, json) = match kind {
            Found::LoadBalancer => (
                form(&ELBV2, "DescribeLoadBalancers", vec![]),
                "LoadBalancerArn",
                false,
            ),
            Found::TargetGroup => (
                form(&ELBV2, "DescribeTargetGroups", vec![]),
                "TargetGroupArn",
                false,
            ),
            // The first listener, or the first HTTPS one, of the load
            // balancer found: one listing, shared.
            Found::Listener | Found::HttpsListener => {
                let lb = Box::pin(found(ctx, Found::LoadBalancer)).await?;
                if kind == Found::HttpsListener {
                    only = Some(("Protocol", "HTTPS", "HTTPS listener"));
                }
                (
                    form(
                        &ELBV2,
                        "DescribeListeners",
                        vec![("LoadBalancerArn".to_owned(), lb)],
                    ),
                    "ListenerArn",
                    false,
                )
            }
            Found::Rule | Found::ListenerCertificate => {
                let listener = Box::pin(found(ctx, Found::Listener)).await?;
                let (operation, element, what) = match kind {
                    Found::Rule => ("DescribeRules", "RuleArn", "rule but the default one"),
                    _ => (
                        "DescribeListenerCertificates",
                        "CertificateArn",
                        "certificate but the default one",
                    ),
                };
                only = Some(("IsDefault", "false", what));
                (
                    form(
                        &ELBV2,
                        operation,
                        vec![("ListenerArn".to_owned(), listener)],
                    ),
                    element,
                    false,
                )
            }
            Found::AutoScalingGroup => (
                form(&AUTOSCALING, "DescribeAutoScalingGroups", vec![]),
                "AutoScalingGroupName",
                false,
            ),
            Found::InstanceTargetGroup => {
                only = Some((
                    "TargetType",
                    "instance",
                    "target group of target type instance",
                ));
                (
                    form(&ELBV2, "DescribeTargetGroups", vec![]),
                    "TargetGroupArn",
                    false,
                )
            }
            Found::ServerCertificate => (
                form(&IAM, "ListServerCertificates", vec![]),
                "ServerCertificateName",
                false,
            ),
            // Of the load balancer found, named by its ARN: the web ACL
            // protecting it (the answer's only ARN; none when WebACL is
            // absent), or its Shield protection's own ID (a load balancer
            // without one, as where Shield Advanced is off, answers
            // ResourceNotFoundException, and nothing is probed).
            Found::WebAcl | Found::ShieldProtection => {
                let lb = Box::pin(found(ctx, Found::LoadBalancer)).await?;
                let (service, operation, element) = match kind {
                    Found::WebAcl => (&WAFV2, "GetWebACLForResource", "ARN"),
                    _ => (&SHIELD, "DescribeProtection", "Id"),
                };
                let r = Request {
                    service,
                    operation,
                    method: "POST",
                    path: "/".to_owned(),
                    body: Body::Json(serde_json::json!({ "ResourceArn": lb })),
                };
                (r, element, true)
            }
            Found::InstanceProfile => (
                form(
                    &IAM,
                    "ListInstanceProfiles",
                    vec![("MaxItems".to_owned(), "1".to_owned())],
                ),
                "InstanceProfileName",
                false,
            ),
            Found::Certificate => {
                let r = Request {
                    service: &ACM,
                    operation: "ListCertificates",
                    method: "POST",
                    path: "/".to_owned(),
                    body: Body::Json(serde_json::json!({})),
                };
                (r, "CertificateArn", true)
            }
            Found::CoipPool => (form(&EC2, "DescribeCoipPools", vec![]), "poolId", false),
            Found::CognitoUserPool | Found::CognitoClient => {
                let (pool, client) = cognito_client(ctx).await?;
                return Ok(match kind {
                    Found::CognitoUserPool => pool,
                    _ => client,
                });
            }
            Found::Change => return change_made(ctx).await,
            Found::EfsFileSystem => {
                let request = Request {
                    service: &EFS,
                    operation: "DescribeFileSystems",
                    method: "GET",
                    path: "/2015-02-01/file-systems?MaxItems=1".to_owned(),
                    body: Body::Empty,
                };
                // The answer's first FileSystemId is the first file system's.
                return match ctx.send(&request, None).await {
                    Ok(reply) => first_json_string(reply.text(), "FileSystemId")
                        .ok_or(Lookup::ListedNone("DescribeFileSystems")),
                    Err(answer) => Err(refused("DescribeFileSystems", &answer)),
                };
            }
            Found::EksCluster | Found::EksNodegroup => {
                let path = match kind {
                    Found::EksCluster => "/clusters?maxResults=1".to_owned(),
                    _ => format!(
                        "/clusters/{}/node-groups?maxResults=1",
                        Box::pin(found(ctx, Found::EksCluster)).await?
                    ),
                };
                let (operation, key) = match kind {
                    Found::EksCluster => ("ListClusters", "clusters"),
                    _ => ("ListNodegroups", "nodegroups"),
                };
                let request = Request {
                    service: &EKS,
                    operation,
                    method: "GET",
                    path,
                    body: Body::Empty,
                };
                let listed = match ctx.send(&request, None).await {
                    Ok(reply) => {
                        first_json_item(reply.text(), key).ok_or(Lookup::ListedNone(operation))
                    }
                    Err(answer) => Err(refused(operation, &answer)),
                };
                let Err(why) = listed else { return listed };
                // A role that may not list clusters or node groups (the
                // cluster autoscaler's) finds them as it does: by the tags
                // EKS puts on a managed node group's Auto Scaling group.
                let cluster = match kind {
                    Found::EksNodegroup => Some(Box::pin(found(ctx, Found::EksCluster)).await?),
                    _ => None,
                };
                return match eks_group_names(ctx, cluster.as_deref()).await {
                    Ok((cluster, nodegroup)) => Ok(match kind {
                        Found::EksCluster => cluster,
                        _ => nodegroup,
                    }),
                    Err(tagged) => Err(Lookup::Each(vec![why, tagged])),
                };
            }
        };
        match ctx.listing(&request).await {
            Ok(text) => match only {
                Some((key, want, what)) => {
                    first_member_where(&text, element, key, want).ok_or(Lookup::NoneFits {
                        op: request.operation,
                        what,
                    })
                }
                None => {
                    let value = if json {
                        first_json_string(&text, element)
                    } else {
                        first_element(&text, element)
                    };
                    value.ok_or(Lookup::ListedNone(request.operation))
                }
            },
            Err(answer) => Err(refused(request.operation, &answer)),
        }
    })
    .await
    .clone()
}

/// The (user pool ID, app client ID) of the first authenticate-cognito
/// action the found load balancer's listeners hold (their default actions
/// in DescribeListeners, then each listener's rules in DescribeRules), once
/// per run: the user pool and app client the load balancer controller
/// describes for such an action.
async fn cognito_client(ctx: &Ctx) -> Result<(String, String), Lookup> {
    ctx.cognito
        .get_or_init(|| async move {
            let form = |operation: &'static str, param: &str, arn: String| Request {
                service: &ELBV2,
                operation,
                method: "POST",
                path: "/".to_owned(),
                body: Body::Form(vec![(param.to_owned(), arn)]),
            };
            let lb = Box::pin(found(ctx, Found::LoadBalancer)).await?;
            let listeners = match ctx
                .listing(&form("DescribeListeners", "LoadBalancerArn", lb))
                .await
            {
                Ok(text) => text,
                Err(answer) => return Err(refused("DescribeListeners", &answer)),
            };
            // The listeners' default actions first, then each one's rules.
            let mut other_place = None;
            let mut look = |text: &str| match cognito_action(text, &ctx.place) {
                Some(Ok(pair)) => Some(pair),
                Some(Err(why)) => {
                    other_place.get_or_insert(why);
                    None
                }
                None => None,
            };
            if let Some(pair) = look(&listeners) {
                return Ok(pair);
            }
            let arns: Vec<String> = outer_members(&listeners)
                .into_iter()
                .filter_map(|m| first_element(m, "ListenerArn"))
                .take(LISTENERS_OF_AT_MOST)
                .collect();
            for arn in arns {
                match ctx
                    .listing(&form("DescribeRules", "ListenerArn", arn))
                    .await
                {
                    Ok(text) => {
                        if let Some(pair) = look(&text) {
                            return Ok(pair);
                        }
                    }
                    Err(answer) => return Err(refused("DescribeRules", &answer)),
                }
            }
            Err(Lookup::NoneFits {
                op: "DescribeRules",
                what: match other_place {
                    Some(_) => {
                        "authenticate-cognito action whose user pool is in this account and region"
                    }
                    None => "authenticate-cognito action",
                },
            })
        })
        .await
        .clone()
}

/// The user pool ID and app client ID of the first authenticate-cognito
/// action in a DescribeListeners or DescribeRules answer (Some(Err) when
/// its user pool is in another account or region: a request here would
/// only find no such pool). Pure.
fn cognito_action(xml: &str, place: &Place) -> Option<Result<(String, String), String>> {
    let (_, rest) = xml.split_once("<AuthenticateCognitoConfig>")?;
    let (block, _) = rest.split_once("</AuthenticateCognitoConfig>")?;
    let pool_arn = first_element(block, "UserPoolArn")?;
    let client = first_element(block, "UserPoolClientId")?;
    let parts: Vec<&str> = pool_arn.splitn(6, ':').collect();
    Some(match parts[..] {
        ["arn", partition, "cognito-idp", region, account, resource]
            if partition == place.partition
                && region == place.region
                && account == place.account =>
        {
            match resource.strip_prefix("userpool/") {
                Some(id) if !id.is_empty() && !id.contains('/') => Ok((id.to_owned(), client)),
                _ => Err(format!("{pool_arn} is no user pool ARN")),
            }
        }
        _ => Err(format!(
            "{pool_arn} is not a user pool of account {} in {}",
            place.account, place.region
        )),
    })
}

/// How many load balancers, target groups or listeners a tagged pick reads
/// the tags of at most (DescribeTags takes 20 ARNs a call): enough for a
/// cluster's own, and a bound on the calls one check makes.
const TAGGED_AT_MOST: usize = 100;
/// How many load balancers' listeners a tagged listener pick lists.
const LISTENERS_OF_AT_MOST: usize = 20;

/// The load balancers, target groups or listeners the role can list (the
/// listeners of the first load balancers listed), each with its tags as
/// DescribeTags lists them, once per run. A resource DescribeTags does not
/// describe has no tags read (`Listed::tags` None).
pub(super) async fn found_tagged(ctx: &Ctx, kind: Found) -> Result<Vec<Listed>, Lookup> {
    let Some(cell) = ctx.found_tagged.get(&kind) else {
        return Err(Lookup::NoneFits {
            op: "DescribeTags",
            what: "resource that can be picked by its tags",
        });
    };
    cell.get_or_init(|| async move {
        let form = |operation: &'static str, params: Vec<(String, String)>| Request {
            service: &ELBV2,
            operation,
            method: "POST",
            path: "/".to_owned(),
            body: Body::Form(params),
        };
        // Each outer member's own ARN, in the order listed.
        let list =
            |operation: &'static str, params: Vec<(String, String)>, element: &'static str| {
                let request = form(operation, params);
                async move {
                    match ctx.listing(&request).await {
                        Ok(text) => Ok(outer_members(&text)
                            .into_iter()
                            .filter_map(|m| first_element(m, element))
                            .collect::<Vec<String>>()),
                        Err(answer) => Err(refused(operation, &answer)),
                    }
                }
            };
        let (arns, listed_by) = match kind {
            Found::TargetGroup => (
                list("DescribeTargetGroups", vec![], "TargetGroupArn").await?,
                "DescribeTargetGroups",
            ),
            Found::Listener => {
                let lbs = list("DescribeLoadBalancers", vec![], "LoadBalancerArn").await?;
                let mut arns = Vec::new();
                for lb in lbs.into_iter().take(LISTENERS_OF_AT_MOST) {
                    arns.extend(
                        list(
                            "DescribeListeners",
                            vec![("LoadBalancerArn".to_owned(), lb)],
                            "ListenerArn",
                        )
                        .await?,
                    );
                }
                (arns, "DescribeListeners")
            }
            _ => (
                list("DescribeLoadBalancers", vec![], "LoadBalancerArn").await?,
                "DescribeLoadBalancers",
            ),
        };
        if arns.is_empty() {
            return Err(Lookup::ListedNone(listed_by));
        }
        let arns: Vec<String> = arns.into_iter().take(TAGGED_AT_MOST).collect();
        let mut described: Vec<(String, crate::tags::Tags)> = Vec::new();
        for chunk in arns.chunks(20) {
            let params = chunk
                .iter()
                .enumerate()
                .map(|(i, arn)| (format!("ResourceArns.member.{}", i + 1), arn.clone()))
                .collect();
            let request = form("DescribeTags", params);
            match ctx.send(&request, None).await {
                Ok(reply) => described.extend(crate::tags::elb_tag_descriptions(reply.text())),
                Err(answer) => return Err(refused("DescribeTags", &answer)),
            }
        }
        Ok(elb_listed(arns, &described))
    })
    .await
    .clone()
}

/// The ARNs listed, each with the tags DescribeTags gave it (None: not
/// described, so no tags were read). Pure.
fn elb_listed(arns: Vec<String>, described: &[(String, crate::tags::Tags)]) -> Vec<Listed> {
    arns.into_iter()
        .map(|id| {
            let tags = described
                .iter()
                .find(|(arn, _)| *arn == id)
                .map(|(_, t)| t.clone());
            Listed { id, tags }
        })
        .collect()
}

/// The first resource listed whose tags, as DescribeTags listed them, meet
/// the pick and that is of the kind the check is judged on (`fits`). Pure.
/// `Err` when none is: a made-up ARN has no tags to meet them.
pub(super) fn pick_tagged(
    kind: Found,
    wanted: &crate::tags::TagRequirement,
    listed: &[Listed],
    fits: impl Fn(&str) -> bool,
) -> Result<String, String> {
    listed
        .iter()
        .find(|l| {
            fits(&l.id)
                && l.tags
                    .as_deref()
                    .is_some_and(|t| wanted.satisfied_by(t) == Some(true))
        })
        .map(|l| l.id.clone())
        .ok_or_else(|| {
            format!(
                "no {what} {} among the {} {what}(s) listed (tags read with DescribeTags); the grant's resource-tag conditions \
                 are met only on such a {what}, and a made-up one has no tags",
                wanted.phrase(),
                listed.len(),
                what = kind.as_str(),
            )
        })
}

/// Why a tagged pick's resource was probed: its tags, as DescribeTags
/// listed them, those the requirement tests. Pure.
pub(super) fn found_tagged_note(
    kind: Found,
    arn: &str,
    wanted: &crate::tags::TagRequirement,
    listed: &[Listed],
) -> String {
    picked_note(arn, kind.as_str(), "DescribeTags", wanted, listed)
}

/// One attribute of a load balancer, target group or listener, read now:
/// the first of `Attr::keys` its Describe*Attributes lists, with its value.
pub(super) async fn read_attribute(
    ctx: &Ctx,
    a: crate::catalogue::Attr,
    arn: &str,
) -> Result<(String, String), String> {
    let (operation, param) = a.read();
    let request = Request {
        service: a.service(),
        operation,
        method: "POST",
        path: "/".to_owned(),
        body: Body::Form(vec![(param.to_owned(), arn.to_owned())]),
    };
    match ctx.send(&request, None).await {
        Ok(reply) => {
            let listed = attribute_listing(reply.text(), a);
            pick_attribute(&listed, a).ok_or_else(|| match a {
                Attr::ListenerTag => {
                    format!(
                        "{operation} lists no tag of {arn} with a value and a key that is not aws:"
                    )
                }
                Attr::RulePriority => {
                    format!("{operation} lists no Priority of 1 to 50000 for {arn}")
                }
                _ => match a.values() {
                    Some(values) => format!(
                        "{operation} lists no {} of {} for {arn}",
                        a.keys().join(", "),
                        values.join(", ")
                    ),
                    None => format!(
                        "{operation} lists none of the attributes {} for {arn}",
                        a.keys().join(", ")
                    ),
                },
            })
        }
        Err(answer) => Err(format!(
            "{operation} could not read {arn} ({})",
            answer.summary()
        )),
    }
}

/// A resource's settings, read now, for a create with the same settings:
/// the first one `Copied::read` lists under `parent` whose every setting it
/// lists, by ARN, with its settings as the create's parameters.
pub(super) async fn read_same_settings(
    ctx: &Ctx,
    c: crate::catalogue::Copied,
    parent: &str,
) -> Result<(String, Vec<(String, String)>), String> {
    let (operation, param, _, _) = c.read();
    let request = Request {
        service: &ELBV2,
        operation,
        method: "POST",
        path: "/".to_owned(),
        body: Body::Form(vec![(param.to_owned(), parent.to_owned())]),
    };
    match ctx.send(&request, None).await {
        Ok(reply) => pick_same_settings(
            &super::same_settings::listed(reply.text(), c),
            operation,
            parent,
        ),
        Err(answer) => Err(format!(
            "{operation} could not read {parent} ({})",
            answer.summary()
        )),
    }
}

/// The first resource listed whose settings can be sent back whole; else
/// why none can. Pure.
fn pick_same_settings(
    listed: &[super::same_settings::Listed],
    operation: &str,
    parent: &str,
) -> Result<(String, Vec<(String, String)>), String> {
    if let Some((arn, settings)) = listed
        .iter()
        .find_map(|l| l.settings.as_ref().ok().map(|s| (l.arn.clone(), s.clone())))
    {
        return Ok((arn, settings));
    }
    match listed.first() {
        None => Err(format!("{operation} lists none for {parent}")),
        Some(_) => Err(listed
            .iter()
            .filter_map(|l| l.settings.as_ref().err().cloned())
            .collect::<Vec<_>>()
            .join("; ")),
    }
}

/// The (key, value) pairs a write-back's read lists: an Attributes list's
/// members, a resource's tags, or a setting's own element. Pure.
fn attribute_listing(xml: &str, a: Attr) -> Vec<(String, String)> {
    match a {
        Attr::ListenerTag => crate::tags::elb_tag_descriptions(xml)
            .into_iter()
            .next()
            .map(|(_, tags)| tags)
            .unwrap_or_default(),
        Attr::HealthCheckEnabled
        | Attr::IpAddressType
        | Attr::RulePriority
        | Attr::DesiredCapacity => a
            .keys()
            .iter()
            .filter_map(|k| first_element(xml, k).map(|v| ((*k).to_owned(), v)))
            .collect(),
        Attr::LoadBalancer | Attr::TargetGroup | Attr::Listener => crate::tags::elb_attributes(xml),
    }
}

/// What a write-back writes, from what its read listed: the first of
/// `keys` with its value as read; a tag, the first with a value (one listed
/// without is not written back as one with "") whose key is not `aws:`.
/// Pure.
fn pick_attribute(read: &[(String, String)], a: Attr) -> Option<(String, String)> {
    match a {
        Attr::ListenerTag => read
            .iter()
            .find(|(k, v)| !v.is_empty() && !k.to_ascii_lowercase().starts_with("aws:")),
        _ => a.keys().iter().find_map(|k| {
            read.iter()
                .find(|(key, value)| key == k && a.writable(value))
        }),
    }
    .cloned()
}

/// The tag keys EKS puts on a managed node group's Auto Scaling group,
/// naming its cluster and node group.
const EKS_CLUSTER_TAG: &str = "eks:cluster-name";
const EKS_NODEGROUP_TAG: &str = "eks:nodegroup-name";

/// A tag's value in one Auto Scaling group of a DescribeAutoScalingGroups
/// answer (its `<Tags>` members). Pure.
fn group_tag(group: &str, key: &str) -> Option<String> {
    group
        .split("<member>")
        .find(|m| first_element(m, "Key").as_deref() == Some(key))
        .and_then(|m| first_element(m, "Value"))
}

/// (cluster, node group) that the first Auto Scaling group of a
/// DescribeAutoScalingGroups answer carrying both EKS tags names (in
/// `cluster`, when given). Pure.
fn eks_names_in_groups(xml: &str, cluster: Option<&str>) -> Option<(String, String)> {
    outer_members(xml).into_iter().find_map(|group| {
        let c = group_tag(group, EKS_CLUSTER_TAG)?;
        let n = group_tag(group, EKS_NODEGROUP_TAG)?;
        cluster.is_none_or(|want| want == c).then_some((c, n))
    })
}

/// The EKS cluster and managed node group named by the tags of the first
/// Auto Scaling group DescribeAutoScalingGroups lists with them (in
/// `cluster`, when given), filtered on the node group tag's key.
async fn eks_group_names(ctx: &Ctx, cluster: Option<&str>) -> Result<(String, String), Lookup> {
    // The first group of any cluster, read once per run; a node group of
    // the cluster it named needs no second read.
    if cluster.is_none() {
        return ctx
            .eks_groups
            .get_or_init(|| eks_group_names_listed(ctx, None))
            .await
            .clone();
    }
    if let Some(Ok((c, nodegroup))) = ctx.eks_groups.get() {
        if Some(c.as_str()) == cluster {
            return Ok((c.clone(), nodegroup.clone()));
        }
    }
    eks_group_names_listed(ctx, cluster).await
}

/// DescribeAutoScalingGroups filtered to groups carrying the EKS node group
/// tag (and, given a cluster, that cluster's name tag): the names the first
/// one carries.
async fn eks_group_names_listed(
    ctx: &Ctx,
    cluster: Option<&str>,
) -> Result<(String, String), Lookup> {
    let mut params = vec![
        ("Filters.member.1.Name".to_owned(), "tag-key".to_owned()),
        (
            "Filters.member.1.Values.member.1".to_owned(),
            EKS_NODEGROUP_TAG.to_owned(),
        ),
        ("MaxRecords".to_owned(), "100".to_owned()),
    ];
    if let Some(c) = cluster {
        params.push((
            "Filters.member.2.Name".to_owned(),
            format!("tag:{EKS_CLUSTER_TAG}"),
        ));
        params.push(("Filters.member.2.Values.member.1".to_owned(), c.to_owned()));
    }
    let request = Request {
        service: &AUTOSCALING,
        operation: "DescribeAutoScalingGroups",
        method: "POST",
        path: "/".to_owned(),
        body: Body::Form(params),
    };
    match ctx.send(&request, None).await {
        Ok(reply) => eks_names_in_groups(reply.text(), cluster).ok_or(Lookup::NoneFits {
            op: "DescribeAutoScalingGroups",
            what: "Auto Scaling group tagged eks:cluster-name and eks:nodegroup-name",
        }),
        Err(answer) => Err(refused("DescribeAutoScalingGroups", &answer)),
    }
}

/// The first hosted zone the role can list, by either listing the role may
/// have (external-dns grants ListHostedZones, cert-manager ByName).
pub(super) async fn any_zone(ctx: &Ctx) -> Result<String, Lookup> {
    ctx.zone
        .get_or_init(|| async {
            let mut why = Vec::new();
            for (operation, path) in [
                ("ListHostedZones", "/2013-04-01/hostedzone?maxitems=1"),
                (
                    "ListHostedZonesByName",
                    "/2013-04-01/hostedzonesbyname?maxitems=1",
                ),
            ] {
                let request = Request {
                    service: &ROUTE53,
                    operation,
                    method: "GET",
                    path: path.to_owned(),
                    body: Body::Empty,
                };
                match ctx.send(&request, None).await {
                    Ok(reply) => match first_element(reply.text(), "Id") {
                        Some(id) => return Ok(id.trim_start_matches("/hostedzone/").to_owned()),
                        None => why.push(Lookup::ListedNone(operation)),
                    },
                    Err(answer) => why.push(refused(operation, &answer)),
                }
            }
            Err(Lookup::Each(why))
        })
        .await
        .clone()
}

/// A change batch written now that leaves the zone as it was, for its ID
/// (GetChange's): in the first zone the role lists, the record write-back
/// `read_zone_record` reads (a TXT record set deleted and created again as
/// listed, else the SOA upserted as listed).
async fn change_made(ctx: &Ctx) -> Result<String, Lookup> {
    const CHANGE: &str = "ChangeResourceRecordSets";
    let zone = any_zone(ctx).await?;
    let (changes, _) = read_zone_record(ctx, &zone).await.map_err(Lookup::Read)?;
    let change = Request {
        service: &ROUTE53,
        operation: CHANGE,
        method: "POST",
        path: format!("/2013-04-01/hostedzone/{zone}/rrset/"),
        body: Body::Xml(format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><ChangeResourceRecordSetsRequest xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><ChangeBatch><Comment>irsa-verify: writes a record back as listed</Comment><Changes>{changes}</Changes></ChangeBatch></ChangeResourceRecordSetsRequest>"#
        )),
    };
    match ctx.send(&change, None).await {
        Ok(reply) => first_element(reply.text(), "Id")
            .map(|id| id.trim_start_matches("/change/").to_owned())
            .ok_or(Lookup::ListedNone(CHANGE)),
        Err(answer) => Err(refused(CHANGE, &answer)),
    }
}

/// The changes of a record write-back that leaves the zone as it was, read
/// now, with what the report says of them: the first TXT record set
/// ListResourceRecordSets lists, deleted and created again with the values
/// listed (one batch, all or none; a DELETE must name the record's current
/// values, so an edit in between refuses the batch and nothing changes). A
/// TXT record, as a role allowed only an ACME challenge's (cert-manager's)
/// may write one. A zone without one: its SOA upserted as listed (the SOA
/// cannot be deleted), with a race window of one round trip.
pub(super) async fn read_zone_record(ctx: &Ctx, zone: &str) -> Result<(String, String), String> {
    const LIST: &str = "ListResourceRecordSets";
    let list = Request {
        service: &ROUTE53,
        operation: LIST,
        method: "GET",
        path: format!("/2013-04-01/hostedzone/{zone}/rrset?maxitems=100"),
        body: Body::Empty,
    };
    let listed = match ctx.send(&list, None).await {
        Ok(reply) => reply.text().to_owned(),
        Err(answer) => {
            return Err(format!(
                "{LIST} could not read zone {zone} ({})",
                answer.summary()
            ))
        }
    };
    if let Some(set) = first_record_set(&listed, "TXT", None) {
        let name = first_element(&set, "Name").unwrap_or_default();
        return Ok((
            same_record_again(&set),
            format!(
                "deletes and creates again the TXT record set {name} of zone {zone} with the values {LIST} listed right before, in one \
                 batch: all of it or none, and a DELETE must name the record's current values, so were it edited in between the batch \
                 is refused and nothing changes"
            ),
        ));
    }
    // The first record set listed is at the zone's apex ("sorts results
    // first by DNS name with the labels reversed"), and so is its SOA: in
    // this page, unless the apex has more record sets than a page holds.
    let apex = first_element(&listed, "Name")
        .ok_or_else(|| format!("{LIST} lists no record of zone {zone}"))?;
    let soa = first_record_set(&listed, "SOA", Some(&apex)).ok_or_else(|| {
        format!("{LIST} lists no TXT record set, nor an SOA at {apex} among the first 100 record sets of zone {zone}")
    })?;
    Ok((
        format!("<Change><Action>UPSERT</Action>{soa}</Change>"),
        format!(
            "the zone lists no TXT record set: writes back the SOA record of zone {zone} as {LIST} listed it right before \
             (race window: the one round trip between the two calls)"
        ),
    ))
}

/// The changes that delete a record set and create it again with the same
/// values, in that order: one transaction. Pure.
fn same_record_again(set: &str) -> String {
    format!("<Change><Action>DELETE</Action>{set}</Change><Change><Action>CREATE</Action>{set}</Change>")
}

/// The first `<ResourceRecordSet>` of a type (and a name, if given) in a
/// ListResourceRecordSets answer, verbatim. Pure.
fn first_record_set(xml: &str, ty: &str, name: Option<&str>) -> Option<String> {
    const OPEN: &str = "<ResourceRecordSet>";
    const CLOSE: &str = "</ResourceRecordSet>";
    let mut rest = xml;
    while let Some(start) = rest.find(OPEN) {
        let end = rest[start..].find(CLOSE)? + start + CLOSE.len();
        let set = &rest[start..end];
        let own = |e: &str| first_element(set, e);
        if own("Type").as_deref() == Some(ty)
            && name.is_none_or(|n| own("Name").as_deref() == Some(n))
        {
            return Some(set.to_owned());
        }
        rest = &rest[end..];
    }
    None
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_next_ec2_page_is_read_until_a_lookup_has_read_its_bound() {
        let page = "<DescribeInstancesResponse><reservationSet/><nextToken>t2</nextToken></DescribeInstancesResponse>";
        assert_eq!(super::next_page(page, 100), Some("t2".to_owned()));
        assert_eq!(
            super::next_page(page, super::EC2_LISTED_AT_MOST - 1),
            Some("t2".to_owned())
        );
        assert_eq!(super::next_page(page, super::EC2_LISTED_AT_MOST), None);
        assert_eq!(super::next_page("<DescribeInstancesResponse/>", 1), None);
    }

    use super::*;
    use crate::catalogue::ROWS;

    #[test]
    fn the_cognito_action_names_a_pool_here_and_its_client() {
        let rules = |pool: &str| {
            format!(
                "<DescribeRulesResponse><DescribeRulesResult><Rules><member><Actions>\
                 <member><Type>forward</Type><Order>2</Order></member>\
                 <member><Type>authenticate-cognito</Type><AuthenticateCognitoConfig>\
                 <UserPoolArn>{pool}</UserPoolArn><UserPoolClientId>5abc</UserPoolClientId>\
                 <UserPoolDomain>auth</UserPoolDomain></AuthenticateCognitoConfig></member>\
                 </Actions></member></Rules></DescribeRulesResult></DescribeRulesResponse>"
            )
        };
        let here = "arn:aws:cognito-idp:eu-west-1:111122223333:userpool/eu-west-1_Ab12";
        assert_eq!(
            cognito_action(&rules(here), &Place::example()),
            Some(Ok(("eu-west-1_Ab12".to_owned(), "5abc".to_owned())))
        );
        // Another account's or region's pool, or no pool ID: a request
        // here finds none.
        for there in [
            "arn:aws:cognito-idp:eu-west-1:444455556666:userpool/eu-west-1_Ab12",
            "arn:aws:cognito-idp:us-east-1:111122223333:userpool/us-east-1_Ab12",
            "arn:aws:cognito-idp:eu-west-1:111122223333:identitypool/x",
            "arn:aws:cognito-idp:eu-west-1:111122223333:userpool/",
            "arn:aws:cognito-idp:eu-west-1:111122223333:userpool/eu-west-1_Ab12/x",
        ] {
            assert!(
                matches!(
                    cognito_action(&rules(there), &Place::example()),
                    Some(Err(_))
                ),
                "{there}"
            );
        }
        // No such action: nothing to name.
        assert_eq!(
            cognito_action(
                "<DescribeRulesResponse><Rules><member><Actions><member><Type>forward</Type>\
                 </member></Actions></member></Rules></DescribeRulesResponse>",
                &Place::example()
            ),
            None
        );
    }

    /// A managed node group's Auto Scaling group names its cluster and node
    /// group by two tags; a group carrying one of them names neither.
    #[test]
    fn eks_names_come_from_a_group_carrying_both_tags() {
        let tag = |k: &str, v: &str| {
            format!("<member><ResourceId>g</ResourceId><ResourceType>auto-scaling-group</ResourceType><Key>{k}</Key><Value>{v}</Value><PropagateAtLaunch>true</PropagateAtLaunch></member>")
        };
        let group = |name: &str, tags: &[String]| {
            format!(
                "<member><AutoScalingGroupName>{name}</AutoScalingGroupName><Tags>{}</Tags><MinSize>0</MinSize></member>",
                tags.concat()
            )
        };
        let xml = format!(
            "<DescribeAutoScalingGroupsResponse><DescribeAutoScalingGroupsResult><AutoScalingGroups>{}{}{}</AutoScalingGroups></DescribeAutoScalingGroupsResult></DescribeAutoScalingGroupsResponse>",
            group("half", &[tag("eks:nodegroup-name", "lonely")]),
            group("eks-a", &[tag("Name", "x"), tag("eks:nodegroup-name", "ng-a"), tag("eks:cluster-name", "c-a")]),
            group("eks-b", &[tag("eks:cluster-name", "c-b"), tag("eks:nodegroup-name", "ng-b")]),
        );
        assert_eq!(
            eks_names_in_groups(&xml, None),
            Some(("c-a".to_owned(), "ng-a".to_owned()))
        );
        assert_eq!(
            eks_names_in_groups(&xml, Some("c-b")),
            Some(("c-b".to_owned(), "ng-b".to_owned()))
        );
        assert_eq!(eks_names_in_groups(&xml, Some("c-z")), None);
        assert_eq!(eks_names_in_groups("<AutoScalingGroups/>", None), None);
    }

    #[test]
    fn the_member_a_probe_needs_is_read_from_a_listing() {
        // DescribeRules: the default rule is skipped; a rule's actions and
        // conditions nest members of their own.
        let rules = "<DescribeRulesResponse><DescribeRulesResult><Rules>\
            <member><IsDefault>true</IsDefault><RuleArn>arn:rule/default</RuleArn><Actions><member><Type>forward</Type></member></Actions></member>\
            <member><Conditions><member><Field>path-pattern</Field></member></Conditions><IsDefault>false</IsDefault><RuleArn>arn:rule/one</RuleArn>\
            <Actions><member><TargetGroupArn>arn:tg</TargetGroupArn></member></Actions></member>\
            <member><IsDefault>false</IsDefault><RuleArn>arn:rule/two</RuleArn></member>\
            </Rules></DescribeRulesResult></DescribeRulesResponse>";
        assert_eq!(outer_members(rules).len(), 3);
        assert_eq!(
            first_member_where(rules, "RuleArn", "IsDefault", "false").as_deref(),
            Some("arn:rule/one")
        );
        // DescribeListenerCertificates: the default certificate alone is no certificate list.
        let certs = "<Certificates><member><CertificateArn>arn:acm/default</CertificateArn><IsDefault>true</IsDefault></member></Certificates>";
        assert_eq!(
            first_member_where(certs, "CertificateArn", "IsDefault", "false"),
            None
        );
        let certs = "<Certificates><member><CertificateArn>arn:acm/default</CertificateArn><IsDefault>true</IsDefault></member>\
            <member><CertificateArn>arn:iam/sni</CertificateArn><IsDefault>false</IsDefault></member></Certificates>";
        assert_eq!(
            first_member_where(certs, "CertificateArn", "IsDefault", "false").as_deref(),
            Some("arn:iam/sni")
        );
        // DescribeListeners: a listener's own Protocol, not its redirect's.
        let listeners = "<Listeners><member><ListenerArn>arn:l/80</ListenerArn><DefaultActions><member><RedirectConfig>\
            <Protocol>HTTPS</Protocol></RedirectConfig></member></DefaultActions><Protocol>HTTP</Protocol></member>\
            <member><ListenerArn>arn:l/443</ListenerArn><Protocol>HTTPS</Protocol></member></Listeners>";
        assert_eq!(
            first_member_where(listeners, "ListenerArn", "Protocol", "HTTPS").as_deref(),
            Some("arn:l/443")
        );
        // DescribeTargetGroups: the first of target type instance.
        let groups = "<TargetGroups><member><TargetGroupArn>arn:tg/ip</TargetGroupArn><TargetType>ip</TargetType>\
            <LoadBalancerArns><member>arn:lb</member></LoadBalancerArns></member>\
            <member><TargetGroupArn>arn:tg/instance</TargetGroupArn><TargetType>instance</TargetType></member></TargetGroups>";
        assert_eq!(
            first_member_where(groups, "TargetGroupArn", "TargetType", "instance").as_deref(),
            Some("arn:tg/instance")
        );
        assert_eq!(
            first_member_where("<x/>", "RuleArn", "IsDefault", "false"),
            None
        );
        assert_eq!(
            Lookup::NoneFits {
                op: "DescribeRules",
                what: "rule but the default one"
            }
            .to_string(),
            "DescribeRules listed no rule but the default one"
        );
    }

    /// A found ARN of another kind than the check was judged on is not
    /// probed: a Network Load Balancer's listener is not an Application
    /// Load Balancer's.
    #[test]
    fn a_found_resource_must_be_of_the_kind_the_check_was_judged_on() {
        let p = Place::example();
        let row = |action: &str| ROWS[crate::catalogue::find(action).unwrap()].resources;
        let app = "arn:aws:elasticloadbalancing:eu-west-1:111122223333:listener/app/lb/1/2";
        let net = "arn:aws:elasticloadbalancing:eu-west-1:111122223333:listener/net/lb/1/2";
        assert_eq!(
            fits(row("elasticloadbalancing:ModifyListener"), &p, app),
            Ok(())
        );
        let why = fits(row("elasticloadbalancing:ModifyListener"), &p, net).unwrap_err();
        assert_eq!(
            why,
            "arn:aws:elasticloadbalancing:eu-west-1:111122223333:listener/app/*/*/*"
        );
        // Another account or region is another resource too.
        let elsewhere = "arn:aws:elasticloadbalancing:us-east-1:111122223333:listener/app/lb/1/2";
        assert!(fits(row("elasticloadbalancing:ModifyListener"), &p, elsewhere).is_err());
        // A certificate is none of the row's resource types: nothing to hold it to.
        let cert = "arn:aws:acm:eu-west-1:111122223333:certificate/c";
        assert_eq!(
            fits(
                row("elasticloadbalancing:AddListenerCertificates"),
                &p,
                cert
            ),
            Ok(())
        );
        assert_eq!(fits(row("acm:DescribeCertificate"), &p, cert), Ok(()));
        // Reads on `*`, and names that are no ARN, hold nothing.
        assert_eq!(
            fits(row("elasticloadbalancing:DescribeListeners"), &p, net),
            Ok(())
        );
        assert_eq!(fits(row("eks:DescribeCluster"), &p, "c-1"), Ok(()));
    }

    #[test]
    fn ids_are_read_from_describe_answers() {
        let xml = "<DescribeVolumesResponse><volumeSet><item><volumeId>vol-1</volumeId></item></volumeSet></DescribeVolumesResponse>";
        assert_eq!(first_element(xml, "volumeId").as_deref(), Some("vol-1"));
        assert_eq!(first_element("<x><volumeSet/></x>", "volumeId"), None);
        let acm = r#"{"CertificateSummaryList":[{"CertificateArn": "arn:aws:acm:eu-west-1:1:certificate/c","DomainName":"x"}]}"#;
        assert_eq!(
            first_json_string(acm, "CertificateArn").as_deref(),
            Some("arn:aws:acm:eu-west-1:1:certificate/c")
        );
        assert_eq!(
            first_json_string(r#"{"CertificateSummaryList":[]}"#, "CertificateArn"),
            None
        );
        let clusters = r#"{"clusters": [ "c-1", "c-2"], "nextToken": null}"#;
        assert_eq!(
            first_json_item(clusters, "clusters").as_deref(),
            Some("c-1")
        );
        assert_eq!(first_json_item(r#"{"nodegroups":[]}"#, "nodegroups"), None);
        assert_eq!(
            first_json_item(r#"{"nodegroups":[""]}"#, "nodegroups"),
            None,
            "an empty name is none"
        );
        assert_eq!(first_json_item(r#"{"other":["x"]}"#, "nodegroups"), None);
    }

    #[test]
    fn every_id_a_describe_lists_is_read_once() {
        let xml = "<r><item><instanceId>i-1</instanceId><x><instanceId>i-2</instanceId></x></item>\
                   <item><instanceId> i-1 </instanceId><instanceId></instanceId><instanceId>i-3</instanceId></item></r>";
        assert_eq!(all_elements(xml, "instanceId"), ["i-1", "i-2", "i-3"]);
        assert!(all_elements(xml, "volumeId").is_empty());
        assert!(
            all_elements("<instanceId>i-1", "instanceId").is_empty(),
            "unterminated"
        );
    }

    fn untagged(id: &str) -> Listed {
        Listed {
            id: id.to_owned(),
            tags: Some(Vec::new()),
        }
    }

    fn tagged(id: &str, tags: &[(&str, &str)]) -> Listed {
        Listed {
            id: id.to_owned(),
            tags: Some(
                tags.iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect(),
            ),
        }
    }

    #[test]
    fn a_tagged_load_balancer_is_the_first_listed_with_such_tags_and_of_the_kind_judged() {
        use crate::tags::{TagRequirement, TagTest};
        let lbc =
            vec![
                TagTest::from_operator("Null", "elbv2.k8s.aws/cluster", &["false".to_owned()])
                    .unwrap(),
            ];
        let tagged_by = TagRequirement::new(vec![lbc.clone()], vec![]);
        let not_tagged = TagRequirement::new(vec![], vec![lbc]);
        let lb =
            |name: &str| format!("arn:aws:elasticloadbalancing:eu-west-1:1:loadbalancer/{name}/1");
        let arns = vec![
            lb("app/plain"),
            lb("app/unread"),
            lb("net/nlb"),
            lb("app/lbc"),
        ];
        // DescribeTags answered for three of the four.
        let described = vec![
            (lb("app/plain"), vec![("Name".to_owned(), "x".to_owned())]),
            (
                lb("net/nlb"),
                vec![("elbv2.k8s.aws/cluster".to_owned(), "c1".to_owned())],
            ),
            (
                lb("app/lbc"),
                vec![("ELBV2.K8S.AWS/cluster".to_owned(), "c1".to_owned())],
            ),
        ];
        let listed = elb_listed(arns, &described);
        assert_eq!(listed[1].tags, None, "not described: no tags read");
        assert_eq!(listed[0].tags.as_ref().map(Vec::len), Some(1));
        let app = |arn: &str| arn.contains(":loadbalancer/app/");
        // The NLB is so tagged, but not the kind the check was judged on.
        assert_eq!(
            pick_tagged(Found::LoadBalancer, &tagged_by, &listed, app),
            Ok(lb("app/lbc")),
            "keys compare case-insensitively"
        );
        assert_eq!(
            pick_tagged(Found::LoadBalancer, &not_tagged, &listed, app),
            Ok(lb("app/plain"))
        );
        // Never one whose tags were not read.
        assert_eq!(
            pick_tagged(Found::LoadBalancer, &not_tagged, &listed[1..], app),
            Err("no load balancer not tagged elbv2.k8s.aws/cluster among the 3 load balancer(s) listed (tags read with DescribeTags); \
                 the grant's resource-tag conditions are met only on such a load balancer, and a made-up one has no tags"
                .to_owned())
        );
        assert!(pick_tagged(Found::TargetGroup, &tagged_by, &[], app).is_err());
        assert_eq!(
            found_tagged_note(Found::LoadBalancer, &lb("app/lbc"), &tagged_by, &listed),
            format!(
                "{} was picked as a load balancer tagged elbv2.k8s.aws/cluster: DescribeTags lists it with the tag(s) \
                 ELBV2.K8S.AWS/cluster=c1",
                lb("app/lbc")
            )
        );
        assert_eq!(
            found_tagged_note(Found::LoadBalancer, &lb("app/plain"), &not_tagged, &listed),
            format!(
                "{} was picked as a load balancer not tagged elbv2.k8s.aws/cluster: DescribeTags lists it with none of the tags \
                 elbv2.k8s.aws/cluster",
                lb("app/plain")
            )
        );
    }

    #[test]
    fn a_tagged_pick_takes_the_first_id_listed_with_such_tags_never_a_made_up_one() {
        use crate::tags::{TagRequirement, TagTest};
        let arn = |id: &str| format!("arn:aws:ec2:eu-west-1:1:volume/{id}");
        let csi = vec![TagTest::from_operator(
            "StringLike",
            "ebs.csi.aws.com/cluster",
            &["true".to_owned()],
        )
        .unwrap()];
        let want = |any: bool, outside: &[&str]| IdPick::Tagged {
            outside: outside.iter().map(|s| (*s).to_owned()).collect(),
            tags: if any {
                TagRequirement::new(vec![csi.clone()], vec![])
            } else {
                TagRequirement::new(vec![], vec![csi.clone()])
            },
        };
        let listed = [
            untagged("vol-1"),
            Listed {
                id: "vol-2".into(),
                tags: None,
            },
            tagged(
                "vol-3",
                &[("Name", "x"), ("ebs.csi.aws.com/cluster", "true")],
            ),
            tagged("vol-4", &[("ebs.csi.aws.com/cluster", "true")]),
        ];
        let pick = |p: &IdPick, listed: &[Listed]| {
            pick_id(Ec2Id::Volume, Some(p), listed, arn, "vol-0fff")
        };
        assert_eq!(
            pick(&want(true, &[]), &listed),
            Ok(("vol-3".to_owned(), true))
        );
        assert_eq!(
            pick(&want(true, &["arn:aws:ec2:*:*:volume/vol-3"]), &listed),
            Ok(("vol-4".to_owned(), true)),
            "outside the patterns too"
        );
        // Not so tagged: only an ID whose tags were read, never vol-2.
        assert_eq!(
            pick(&want(false, &[]), &listed),
            Ok(("vol-1".to_owned(), true))
        );
        assert_eq!(
            pick(&want(false, &[]), &listed[1..]),
            Err("no volume not tagged ebs.csi.aws.com/cluster=true among the 3 volume(s) DescribeVolumes listed; \
                 the grant's resource-tag conditions are met only on such a volume, and a made-up one has no tags"
                .to_owned())
        );
        // As many as a lookup reads: the reason says so.
        let many: Vec<Listed> = (0..EC2_LISTED_AT_MOST)
            .map(|i| untagged(&format!("vol-{i}")))
            .collect();
        let why = pick(&want(true, &[]), &many).unwrap_err();
        assert!(
            why.contains(
                "among the 500 volume(s) DescribeVolumes listed (a lookup reads the first 500);"
            ),
            "{why}"
        );
        let why = pick(&want(true, &[]), &[untagged("vol-1")]).unwrap_err();
        assert!(
            why.starts_with("no volume tagged ebs.csi.aws.com/cluster=true among the 1 volume(s) DescribeVolumes listed"),
            "{why}"
        );
        // A tag key in two spellings is not told: not picked.
        let twice = [tagged(
            "vol-5",
            &[
                ("ebs.csi.aws.com/cluster", "true"),
                ("EBS.CSI.AWS.COM/cluster", "false"),
            ],
        )];
        assert!(pick(&want(true, &[]), &twice).is_err());
        assert!(pick(&want(false, &[]), &twice).is_err());
        // The note says what the pick read.
        let note = tagged_note(
            Ec2Id::Volume,
            "vol-3",
            &TagRequirement::new(vec![csi.clone()], vec![]),
            &listed,
        );
        assert_eq!(
            note,
            "vol-3 was picked as a volume tagged ebs.csi.aws.com/cluster=true: DescribeVolumes lists it with the tag(s) \
             ebs.csi.aws.com/cluster=true"
        );
        let note = tagged_note(
            Ec2Id::Volume,
            "vol-1",
            &TagRequirement::new(vec![], vec![csi]),
            &listed,
        );
        assert!(
            note.ends_with("with none of the tags ebs.csi.aws.com/cluster"),
            "{note}"
        );
    }

    #[test]
    fn an_id_is_picked_outside_the_patterns_its_check_is_judged_against() {
        let arn = |id: &str| format!("arn:aws:ec2:eu-west-1:1:instance/{id}");
        let listed = [untagged("i-0abc"), untagged("i-0def")];
        let outside = |p: &[&str]| IdPick::Outside(p.iter().map(|s| (*s).to_owned()).collect());
        let pick = |p: Option<&IdPick>, listed: &[Listed], made_up: &str| {
            pick_id(Ec2Id::Instance, p, listed, arn, made_up)
        };
        // Exact: that one, whatever is listed.
        assert_eq!(
            pick(Some(&IdPick::Exact("i-0123".into())), &listed, "i-0fff"),
            Ok(("i-0123".to_owned(), true))
        );
        // Nothing to avoid: the first listed.
        assert_eq!(
            pick(None, &listed, "i-0fff"),
            Ok(("i-0abc".to_owned(), true))
        );
        // The first listed that no pattern names.
        let not_abc = outside(&["arn:aws:ec2:*:*:instance/i-0abc"]);
        assert_eq!(
            pick(Some(&not_abc), &listed, "i-0fff"),
            Ok(("i-0def".to_owned(), true))
        );
        // Every listed one named: a made-up one, said to be made up.
        let both = outside(&[
            "arn:aws:ec2:*:*:instance/i-0abc",
            "arn:aws:ec2:*:*:instance/i-0def",
        ]);
        assert_eq!(
            pick(Some(&both), &listed, "i-0fff"),
            Ok(("i-0fff".to_owned(), false))
        );
        assert_eq!(
            pick(Some(&not_abc), &[], "i-0fff"),
            Ok(("i-0fff".to_owned(), false))
        );
        // Even the made-up one named: none fits, and why is said.
        let all = outside(&["arn:aws:ec2:*:*:instance/i-0*"]);
        let why = pick(Some(&all), &listed, "i-0fff").unwrap_err();
        assert!(
            why.contains("instance/i-0*") && why.contains("every instance listed"),
            "{why}"
        );
    }

    /// The first listed whose every setting is listed is sent back; with
    /// none, every reason, or that none was listed.
    #[test]
    fn a_create_copies_the_first_resource_listed_whole() {
        use crate::probe::same_settings::Listed as Copy;
        let whole = |arn: &str| Copy {
            arn: arn.into(),
            settings: Ok(vec![("Port".into(), arn.into())]),
        };
        let partial = |arn: &str| Copy {
            arn: arn.into(),
            settings: Err(format!("{arn} lacks one")),
        };
        assert_eq!(
            pick_same_settings(&[partial("a"), whole("b"), whole("c")], "Op", "p"),
            Ok(("b".into(), vec![("Port".into(), "b".into())]))
        );
        assert_eq!(
            pick_same_settings(&[partial("a"), partial("b")], "Op", "p"),
            Err("a lacks one; b lacks one".into())
        );
        assert_eq!(
            pick_same_settings(&[], "Op", "p"),
            Err("Op lists none for p".into())
        );
    }

    /// The SOA record set at the apex, verbatim; none when the answer
    /// lists another type or another name first.
    #[test]
    fn the_soa_written_back_is_the_apex_one_as_listed() {
        let soa = "<ResourceRecordSet><Name>example.com.</Name><Type>SOA</Type><TTL>900</TTL><ResourceRecords>\
                   <ResourceRecord><Value>ns-1.awsdns-00.com. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400</Value>\
                   </ResourceRecord></ResourceRecords></ResourceRecordSet>";
        let ns = "<ResourceRecordSet><Name>example.com.</Name><Type>NS</Type><TTL>172800</TTL></ResourceRecordSet>";
        let answer = |sets: &str| {
            format!(
                "<ListResourceRecordSetsResponse xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\">\
                 <ResourceRecordSets>{sets}</ResourceRecordSets><IsTruncated>false</IsTruncated><MaxItems>1</MaxItems>\
                 </ListResourceRecordSetsResponse>"
            )
        };
        let soa_at = |xml: &str, apex: &str| first_record_set(xml, "SOA", Some(apex));
        assert_eq!(
            soa_at(&answer(&format!("{ns}{soa}")), "example.com."),
            Some(soa.to_owned())
        );
        assert_eq!(soa_at(&answer(ns), "example.com."), None);
        assert_eq!(soa_at(&answer(soa), "sub.example.com."), None);
        assert_eq!(soa_at(&answer(""), "example.com."), None);
        // GetChange's change: the first TXT record set, whatever its name,
        // deleted and created again verbatim in one batch.
        let txt = "<ResourceRecordSet><Name>_x.example.com.</Name><Type>TXT</Type><TTL>60</TTL><ResourceRecords>\
                   <ResourceRecord><Value>\"v=1 &amp; a\"</Value></ResourceRecord></ResourceRecords></ResourceRecordSet>";
        let listed = answer(&format!("{ns}{soa}{txt}"));
        assert_eq!(first_record_set(&listed, "TXT", None), Some(txt.to_owned()));
        assert_eq!(
            first_record_set(&answer(&format!("{ns}{soa}")), "TXT", None),
            None
        );
        let batch = same_record_again(txt);
        let delete = batch.find(&format!("<Change><Action>DELETE</Action>{txt}</Change>"));
        let create = batch.find(&format!("<Change><Action>CREATE</Action>{txt}</Change>"));
        assert!(
            matches!((delete, create), (Some(d), Some(c)) if d < c),
            "{batch}"
        );
        assert_eq!(batch.matches("<Change>").count(), 2, "{batch}");
    }

    /// A found ARN stands for a pattern of its own service and type that
    /// matches it; never for `*`, another type, or a pattern it misses.
    #[test]
    fn a_found_arn_stands_for_the_pattern_of_its_own_kind() {
        let lb = "arn:aws:elasticloadbalancing:eu-west-1:1:loadbalancer/app/a/1";
        let listener = "arn:aws:elasticloadbalancing:eu-west-1:1:listener/app/a/1/2";
        assert!(names_exactly(
            "arn:aws:elasticloadbalancing:eu-west-1:1:loadbalancer/app/*/*",
            lb
        ));
        assert!(!names_exactly("*", lb), "a Describe authorized on *");
        assert!(!names_exactly(
            "arn:aws:elasticloadbalancing:eu-west-1:1:loadbalancer/app/*/*",
            listener
        ));
        assert!(!names_exactly(
            "arn:aws:elasticloadbalancing:eu-west-1:1:listener-rule/app/*/*/*/*",
            listener
        ));
        assert!(!names_exactly(
            "arn:aws:elasticloadbalancing:eu-west-1:2:loadbalancer/app/*/*",
            lb
        ));
        assert!(!names_exactly("*", "irsa-addons-asg"), "a name is no ARN");
    }

    #[test]
    fn a_write_back_reads_one_key_with_its_value_as_listed() {
        use crate::catalogue::Attr;
        let xml = "<DescribeLoadBalancerAttributesResponse><DescribeLoadBalancerAttributesResult><Attributes>\
                   <member><Key>idle_timeout.timeout_seconds</Key><Value>60</Value></member>\
                   <member><Value>true</Value><Key>deletion_protection.enabled</Key></member>\
                   <member><Key>no.value</Key></member>\
                   </Attributes></DescribeLoadBalancerAttributesResult></DescribeLoadBalancerAttributesResponse>";
        let read = crate::tags::elb_attributes(xml);
        assert_eq!(
            read.len(),
            2,
            "a key without its value is not read: {read:?}"
        );
        assert_eq!(
            pick_attribute(&read, Attr::LoadBalancer),
            Some(("deletion_protection.enabled".to_owned(), "true".to_owned()))
        );
        assert_eq!(pick_attribute(&read, Attr::TargetGroup), None);
        // A tag: the first the workload may write, with a value.
        let tags = crate::tags::elb_tag_descriptions(
            "<DescribeTagsResponse><DescribeTagsResult><TagDescriptions><member>\
             <ResourceArn>arn:x</ResourceArn><Tags>\
             <member><Key>aws:cloudformation:stack-name</Key><Value>s</Value></member>\
             <member><Key>no-value</Key></member>\
             <member><Value>team-a/web &amp; api</Value><Key>ingress.k8s.aws/stack</Key></member>\
             </Tags></member></TagDescriptions></DescribeTagsResult></DescribeTagsResponse>",
        );
        assert_eq!(
            pick_attribute(&tags[0].1, Attr::ListenerTag),
            Some((
                "ingress.k8s.aws/stack".to_owned(),
                "team-a/web & api".to_owned()
            )),
            "unescaped as read, written back as read"
        );
        assert_eq!(pick_attribute(&tags[0].1[..2], Attr::ListenerTag), None);
        // The first of the keys, in their order, whichever the answer lists first.
        let tg = vec![
            ("stickiness.enabled".to_owned(), "false".to_owned()),
            (
                "deregistration_delay.timeout_seconds".to_owned(),
                "300".to_owned(),
            ),
        ];
        assert_eq!(
            pick_attribute(&tg, Attr::TargetGroup),
            Some((
                "deregistration_delay.timeout_seconds".to_owned(),
                "300".to_owned()
            ))
        );
        // A setting that is its own element: written back only with a
        // value its API documents.
        let tgs = "<DescribeTargetGroupsResponse><DescribeTargetGroupsResult><TargetGroups><member>\
                   <TargetGroupArn>arn:x</TargetGroupArn><HealthCheckEnabled>true</HealthCheckEnabled>\
                   <IpAddressType>ipv4</IpAddressType></member></TargetGroups></DescribeTargetGroupsResult>\
                   </DescribeTargetGroupsResponse>";
        assert_eq!(
            pick_attribute(
                &attribute_listing(tgs, Attr::HealthCheckEnabled),
                Attr::HealthCheckEnabled
            ),
            Some(("HealthCheckEnabled".to_owned(), "true".to_owned()))
        );
        let lbs = "<DescribeLoadBalancersResponse><DescribeLoadBalancersResult><LoadBalancers><member>\
                   <LoadBalancerArn>arn:y</LoadBalancerArn><IpAddressType>dualstack</IpAddressType>\
                   </member></LoadBalancers></DescribeLoadBalancersResult></DescribeLoadBalancersResponse>";
        assert_eq!(
            pick_attribute(
                &attribute_listing(lbs, Attr::IpAddressType),
                Attr::IpAddressType
            ),
            Some(("IpAddressType".to_owned(), "dualstack".to_owned()))
        );
        assert_eq!(
            attribute_listing(lbs, Attr::HealthCheckEnabled),
            [],
            "an element the answer lacks is not read"
        );
        for (key, odd) in [("HealthCheckEnabled", "TRUE"), ("IpAddressType", "")] {
            let a = if key == "IpAddressType" {
                Attr::IpAddressType
            } else {
                Attr::HealthCheckEnabled
            };
            assert_eq!(
                pick_attribute(&[(key.to_owned(), odd.to_owned())], a),
                None,
                "{key}={odd:?} is not a documented value, so it is not written back"
            );
        }
        // A rule's priority: a number SetRulePriorities takes.
        let rules = "<DescribeRulesResponse><DescribeRulesResult><Rules><member>\
                     <RuleArn>arn:r</RuleArn><Priority>10</Priority><IsDefault>false</IsDefault>\
                     </member></Rules></DescribeRulesResult></DescribeRulesResponse>";
        assert_eq!(
            pick_attribute(
                &attribute_listing(rules, Attr::RulePriority),
                Attr::RulePriority
            ),
            Some(("Priority".to_owned(), "10".to_owned()))
        );
        for odd in ["default", "0", "50001", "+5", "", "1.5"] {
            assert_eq!(
                pick_attribute(
                    &[("Priority".to_owned(), odd.to_owned())],
                    Attr::RulePriority
                ),
                None,
                "Priority={odd:?} is not one SetRulePriorities takes"
            );
        }
        for fine in ["1", "50000"] {
            assert!(Attr::RulePriority.writable(fine), "{fine}");
        }
    }
}
