//! The checks the role's own policies imply: every concrete target they name
//! (plus those given by flag), every catalogue action that applies to it,
//! and the expectation IAM's logic gives for the resource the probe touches.

use super::eval::{evaluate, evaluate_in, request_tags, wildcard, Context, Decision};
use super::targets::{read_resource, Targets};
use super::{Patterns, Policy, Statement};
use crate::catalogue::{Ec2Id, OtherTarget, Probe, Sdk, TargetKind, Tells};
use crate::check::Invalid;
use crate::check::{
    Action, BucketName, Check, Expect, IdPick, KeyPrefix, ObjectKey, ObjectKeyChoice, Place,
    TableName, Target,
};
use crate::glob::has_wildcard;
use crate::verdict::SkipGroup;

/// Targets given by flag, for policies whose resources are wildcards.
#[derive(Debug, Clone, Default)]
pub struct Extra {
    pub buckets: Vec<BucketName>,
    pub tables: Vec<TableName>,
    /// An existing object, read by the s3:GetObject checks of every bucket.
    pub object: Option<ObjectKey>,
}

/// A policy action the agent does not probe: a skipped testcase, named by it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unprobed {
    pub action: String,
    pub reason: String,
    pub why: SkipGroup,
}

#[derive(Debug, Clone)]
pub struct Derived {
    pub checks: Vec<Check>,
    /// Why each check expects what it does, in the order of `checks`.
    pub basis: Vec<String>,
    pub unprobed: Vec<Unprobed>,
}

/// The S3 grants on a resource that is not a bucket (an access point, a
/// batch job...): never probed as if it were one, each skipped with why.
fn s3_elsewhere(policies: &[Policy], arn: &str, unprobed: &mut Vec<Unprobed>) {
    let kind = arn
        .splitn(6, ':')
        .nth(5)
        .and_then(|r| r.split('/').next())
        .unwrap_or("resource");
    for s in statements(policies).filter(|s| s.effect == super::Effect::Allow) {
        let names_it = s
            .resources
            .as_ref()
            .is_some_and(|r| !r.negated && r.patterns.iter().any(|p| p == arn));
        if !names_it {
            continue;
        }
        for action in s
            .actions
            .patterns
            .iter()
            .filter(|a| wildcard(a.split(':').next().unwrap_or(a), "s3", true))
        {
            if unprobed.iter().any(|u| u.action == *action) {
                continue;
            }
            unprobed.push(Unprobed {
                action: action.clone(),
                reason: format!(
                    "{} grants it on {arn}, an S3 {kind} ARN, not a bucket: only arn:aws:s3:::NAME names a bucket, and the agent does not \
                     probe {kind}s yet",
                    s.label
                ),
                why: SkipGroup::NoResourceNamed,
            });
        }
    }
}

/// Is this action probed by a row (or by the identity check)?
fn probed(action: &str) -> bool {
    action.eq_ignore_ascii_case(crate::identity::ACTION) || Action::parse(action).is_some()
}

/// A granted action pattern the catalogue does not cover, as one skipped
/// entry: an unknown action, one never probed, or a wildcard expanded
/// against IAM's action list with what it grants that nothing probes.
fn unprobed_pattern(pattern: &str, label: &str) -> Option<Unprobed> {
    let entry = |why: SkipGroup, reason: String| Unprobed {
        action: pattern.to_owned(),
        reason,
        why,
    };
    if !has_wildcard(pattern) {
        if probed(pattern) {
            return None;
        }
        if !crate::sar::known(pattern) {
            let closest = crate::sar::closest(pattern)
                .map(|a| format!("; the closest real action is {a}"))
                .unwrap_or_default();
            return Some(entry(
                SkipGroup::UnknownAction,
                format!(
                    "IAM has no such action ({}), so {label} grants nothing by it and the workload's call will be denied{closest}",
                    crate::sar::source()
                ),
            ));
        }
        return Some(match crate::catalogue::never(pattern) {
            Some(why) => entry(SkipGroup::NeverProbed, format!("{why} (named by {label})")),
            None => entry(
                SkipGroup::NoProbe,
                format!("the catalogue has no harmless probe for it (named by {label})"),
            ),
        });
    }
    let granted = crate::sar::expand(pattern);
    let missing: Vec<&String> = granted.iter().filter(|a| !probed(a)).collect();
    if missing.is_empty() && !granted.is_empty() {
        return None;
    }
    if granted.is_empty() {
        return Some(entry(
            SkipGroup::UnknownAction,
            format!(
                "matches no IAM action ({}); named by {label}",
                crate::sar::source()
            ),
        ));
    }
    const SHOWN: usize = 12;
    let mut names: Vec<&str> = missing.iter().take(SHOWN).map(|a| a.as_str()).collect();
    let more = missing.len().saturating_sub(SHOWN);
    if more > 0 {
        names.push("...");
    }
    Some(entry(
        SkipGroup::NoProbe,
        format!(
            "grants {} actions, {} of them probed; no harmless probe for {}: {}{} (named by {label})",
            granted.len(),
            granted.len() - missing.len(),
            missing.len(),
            names.join(", "),
            if more > 0 { format!(" and {more} more") } else { String::new() }
        ),
    ))
}

/// Does an Allow statement naming the row's action name, in its Resource,
/// an EC2 resource type the row's request names by ID (for ec2:CreateTags
/// sent as a create: the type it creates, or `*`), or a pattern of types
/// covering it (`arn:aws:ec2:*:*:*/*`)?
fn grants_on_its_types(policies: &[Policy], row: &crate::catalogue::Row) -> bool {
    let types: Vec<&str> = match (&row.probe, row.tags_on_create()) {
        (Probe::Wire(w), Some(_)) => w.tags_for.into_iter().collect(),
        _ => crate::resource::ec2_slots(row.resources)
            .iter()
            .map(|k| k.parts().1)
            .collect(),
    };
    statements(policies)
        .filter(|s| s.effect == super::Effect::Allow && super::eval::action_matches(s, row.action))
        .filter_map(|s| s.resources.as_ref())
        .filter(|r| !r.negated)
        .flat_map(|r| r.patterns.iter())
        .any(|p| {
            // A grant on every resource covers what a create makes; only the
            // first row of a direct request is derived from it.
            (p == "*" && row.tags_on_create().is_some())
                || crate::resource::ec2_type_of(p)
                    .is_some_and(|t| types.iter().any(|ty| wildcard(t, ty, false)))
        })
}

/// Does an Allow statement name this action, whatever its resource?
fn mentioned(policies: &[Policy], action: &str) -> bool {
    statements(policies)
        .filter(|s| s.effect == super::Effect::Allow)
        .any(|s| super::eval::action_matches(s, action))
}

/// The checks of the catalogue's rows beyond S3, DynamoDB and IMDS: every
/// row the policies grant, on every target it can take, and every
/// destructive row of a service they touch as a deny check.
fn catalogue_checks(
    policies: &[Policy],
    named: &[Target],
    at: &Place,
    out: &mut Derived,
) -> Result<(), Invalid> {
    for action in Action::all() {
        let row = action.row();
        if !matches!(row.probe, Probe::Wire(_)) || !names_service(policies, row.service()) {
            continue;
        }
        let granted = mentioned(policies, row.action);
        if !granted && !row.destructive {
            continue;
        }
        // A later row of an action aims the same request at another resource
        // type: derived only where a grant of the action names that type, so
        // a policy is probed on the types it grants, and the first row keeps
        // the deny checks elsewhere.
        if Action::parse(row.action) != Some(action) && !grants_on_its_types(policies, row) {
            continue;
        }
        let targets: Vec<Target> = match row.target {
            TargetKind::Named(kind) => named
                .iter()
                .filter(|t| {
                    matches!(t, Target::Named(n) if n.kind == kind) || **t == Target::Any(kind)
                })
                .map(|t| match t {
                    // A made-up secret stands for the real one only where
                    // the policies judge every secret of the name alike: no
                    // condition on the action (a resource tag the made-up
                    // one lacks) and no Deny of it on secrets (one on the
                    // real secret's ARN would not reach the made-up one).
                    Target::Named(n)
                        if n.takes(OtherTarget::PatternSecret)
                            && !judged_alike(statements(policies), row.action) =>
                    {
                        Target::Named(n.clone().plain())
                    }
                    t => t.clone(),
                })
                .collect(),
            _ => match ec2_targets(policies, row, at) {
                Ok(targets) => targets,
                Err(reason) => {
                    if granted {
                        out.unprobed.push(Unprobed {
                            action: row.action.to_owned(),
                            why: SkipGroup::NotAttempted,
                            reason,
                        });
                    }
                    continue;
                }
            },
        };
        // Whichever resource a listing finds first (a zone behind
        // `hostedzone/*`, a cluster, a certificate) is judged only where no
        // pattern names particular ones; zones named are probed by name.
        let mut kept = Vec::new();
        for t in targets {
            let on = match &t {
                Target::Any(_) => Some(t.clone()),
                Target::Account if names_a_listed_resource(row) => Some(Target::Account),
                _ => None,
            };
            let named = on.map_or_else(Vec::new, |on| naming_particular(policies, row, &on, at));
            if named.is_empty() {
                kept.push(t);
                continue;
            }
            out.unprobed.push(Unprobed {
                action: row.action.to_owned(),
                why: SkipGroup::NotAttempted,
                reason: format!(
                    "the policies name particular resources for it ({}), and the probe names {}, which may be another: \
                     a verdict on it would not be about the resources the grant covers (resources named in the policies are probed by name)",
                    named.join(", "),
                    match t {
                        Target::Any(_) => t.label(),
                        _ => "the first one a listing finds".to_owned(),
                    }
                ),
            });
        }
        let targets = kept;
        if targets.is_empty() {
            if let (true, TargetKind::Named(kind)) = (granted, row.target) {
                out.unprobed.push(Unprobed {
                    action: row.action.to_owned(),
                    why: SkipGroup::NoResourceNamed,
                    reason: format!(
                        "no concrete {} is named in the policies (the grant's resource is a wildcard); name one in a spec (`resource:`) to probe it",
                        kind.as_str()
                    ),
                });
            }
            continue;
        }
        for target in targets {
            let resources = target.judged_resources(row, at);
            // An EC2 create carries the tags its grants ask for; AWS then
            // also authorizes ec2:CreateTags on what it creates.
            let tags_for = match &row.probe {
                Probe::Wire(w) => w.tags_for,
                _ => None,
            };
            // The action each of the request's resources is authorized as:
            // the create's own, also where the row is ec2:CreateTags sent as
            // that create (`Row::tags_on_create`).
            let on_create = row.tags_on_create();
            let create_action = on_create.map(|op| format!("ec2:{op}"));
            let sent_as: &str = create_action.as_deref().unwrap_or(row.action);
            let tags: Vec<(String, String)> = match tags_for {
                Some(ty) => {
                    let mut tags = Vec::new();
                    let mut add = |found: Vec<(String, String)>| {
                        for t in found {
                            if !tags.iter().any(|(k, _)| *k == t.0) {
                                tags.push(t);
                            }
                        }
                    };
                    for r in &resources {
                        add(request_tags(statements(policies), sent_as, r));
                    }
                    if on_create.is_some() {
                        // What the CreateTags grants ask of the request too.
                        if let Some(created) =
                            resources.iter().find(|r| r.contains(&format!(":{ty}/*")))
                        {
                            add(request_tags(statements(policies), row.action, created));
                        }
                    }
                    // At least one tag, where none is asked for: without one,
                    // no CreateTags is authorized at all.
                    if on_create.is_some() && tags.is_empty() {
                        tags.push(("irsa-verify-probe".to_owned(), "dry-run".to_owned()));
                    }
                    tags
                }
                None => Vec::new(),
            };
            // The agent knows where it sends the request.
            let region = vec![target.requested_region(row, at)];
            let context = match (tags_for, row.tags_named()) {
                (Some(_), _) => {
                    let op = sent_as.split_once(':').map_or(sent_as, |(_, op)| op);
                    Context::tagged(&tags).with("ec2:CreateAction", vec![op.to_owned()])
                }
                // CreateTags, DeleteTags on a resource that exists: the tags
                // the request names and no others, no ec2:CreateAction.
                (None, Some(named)) => Context::tagging_existing(&named),
                (None, None) => Context::default(),
            }
            .with("aws:RequestedRegion", region.clone());
            // A create's tags are the request's for what it creates; on the
            // existing resources it names by ID (a launch template, a
            // volume to snapshot) there is no aws:RequestTag or aws:TagKeys,
            // and a condition on them fails (EC2 User Guide, tag on create).
            let existing = Context::tagged(&[]).with("aws:RequestedRegion", region);
            let contexts: Vec<&Context> = resources
                .iter()
                .zip(row.resources)
                .map(|(_, t)| match tags_for {
                    Some(_) if !crate::resource::ec2_slots(&[t]).is_empty() => &existing,
                    _ => &context,
                })
                .collect();
            let mut judged: Vec<(String, &str, Decision)> = resources
                .iter()
                .zip(&contexts)
                .map(|(r, c)| {
                    (
                        r.clone(),
                        sent_as,
                        evaluate_in(statements(policies), sent_as, r, c),
                    )
                })
                .collect();
            if let (Some(ty), false) = (tags_for, tags.is_empty()) {
                if let Some(created) = resources.iter().find(|r| r.contains(&format!(":{ty}/*"))) {
                    let d = evaluate_in(statements(policies), "ec2:CreateTags", created, &context);
                    judged.push((created.clone(), "ec2:CreateTags", d));
                }
            }
            let expect = if judged.iter().all(|(_, _, d)| d.expect == Expect::Allow) {
                Expect::Allow
            } else {
                Expect::Deny
            };
            let mut conditions: Vec<String> = judged
                .iter()
                .flat_map(|(_, _, d)| d.conditions.clone())
                .collect();
            conditions.sort();
            conditions.dedup();
            let basis = judged
                .iter()
                .map(|(r, a, d)| {
                    if *a == row.action {
                        format!("{} (on {r})", d.basis)
                    } else {
                        format!("{a}: {} (on {r})", d.basis)
                    }
                })
                .collect::<Vec<_>>()
                .join("; ");
            // Conditions on the resource's own tags only: probed on a
            // resource found with tags that settle them.
            let found = match on_create {
                // Its resources are the create's, judged as the create.
                Some(_) => None,
                None => tagged_variants(policies, row, &target, &judged, &contexts),
            };
            let variants = match found {
                Some(variants) => variants,
                None => vec![(target, expect, conditions, basis)],
            };
            for (target, expect, conditions, basis) in variants {
                let other = match (&target, row.otherwise()) {
                    (Target::Named(n), Some(o)) => n.takes(o.on),
                    _ => false,
                };
                // A denial of a create that tags tells nothing of its tagging,
                // so no deny check. Where the create is refused but its
                // tagging granted, that grant stays unproven by this row.
                if expect == Expect::Deny && row.tells == Tells::AllowOnly {
                    continue;
                }
                if expect == Expect::Allow && row.tells_for(other) == Tells::DenialOnly {
                    out.unprobed.push(Unprobed {
                        action: row.action.to_owned(),
                        why: SkipGroup::DenialOnly,
                        reason: format!("granted, but only a denial can be told: {}", row.basis),
                    });
                    continue;
                }
                out.checks.push(
                    Check::new(action, expect, target, None)?
                        .conditional(conditions)
                        .tagged(tags.clone()),
                );
                out.basis.push(basis);
            }
        }
    }
    Ok(())
}

/// A derived check: its target, expectation, open conditions and basis.
type Variant = (Target, Expect, Vec<String>, String);

/// A check's variants when the only conditions its expectation hangs on
/// are on the tags of the one resource its request names (an EC2 ID, or a
/// load balancer, target group or listener a listing finds: `TagRead`)
/// (`aws:ResourceTag/K`, `ec2:ResourceTag/K`), every other resource it is
/// authorized on being allowed outright: one on a resource whose tags meet
/// what the Allow statements ask (and no Deny's), expected allowed, and one
/// on a resource whose tags meet none of them, expected denied; each picked
/// at run time from what a Describe (for ELBv2, DescribeTags) lists with its
/// tags, and each judged on
/// tags that meet its pick (`TagRequirement::witness`). IAM's logic gives
/// the same decision for every tag set that meets the pick
/// (`eval::tag_split`). None where that does not apply: the check stays
/// conditional.
fn tagged_variants(
    policies: &[Policy],
    row: &crate::catalogue::Row,
    target: &Target,
    judged: &[(String, &str, Decision)],
    contexts: &[&Context],
) -> Option<Vec<Variant>> {
    let (at, picked) = tag_read_resource(row)?;
    let (resource, _, decision) = judged.get(at)?;
    let context = contexts.get(at)?;
    let on_tags = !decision.conditions.is_empty()
        && decision
            .conditions
            .iter()
            .all(|c| super::eval::resource_tag_key(c).is_some());
    let others_allowed = judged
        .iter()
        .enumerate()
        .all(|(i, (_, _, d))| i == at || (d.expect == Expect::Allow && d.conditions.is_empty()));
    if !on_tags || !others_allowed {
        return None;
    }
    let outside = match (target, picked) {
        (Target::Account, _) => Vec::new(),
        (Target::Ec2(picks), TagRead::Ec2(kind)) => match picks.as_slice() {
            [(k, IdPick::Outside(patterns))] if *k == kind => patterns.clone(),
            _ => return None,
        },
        _ => return None,
    };
    let split = super::eval::tag_split(statements(policies), row.action, resource, context)?;
    let mut variants = Vec::new();
    for (wanted, expect) in [
        (split.allowed(), Expect::Allow),
        (split.denied(), Expect::Deny),
    ] {
        let Some(wanted) = wanted else { continue };
        // Judged on tags that meet the pick. An allow variant that cannot
        // be leaves the grant conditional; a deny variant is left out.
        let on_witness = wanted.witness().map(|witness| {
            let d = evaluate_in(
                statements(policies),
                row.action,
                resource,
                &(*context).clone().with_resource_tags(&witness),
            );
            (witness, d)
        });
        let (witness, d) = match on_witness {
            Some((w, d)) if d.expect == expect && d.conditions.is_empty() => (w, d),
            _ if expect == Expect::Allow => return None,
            _ => continue,
        };
        let shown = if witness.is_empty() {
            "no tags".to_owned()
        } else {
            let pairs: Vec<String> = witness.iter().map(|(k, v)| format!("{k}={v}")).collect();
            format!("the tags {}", pairs.join(", "))
        };
        let basis = judged
            .iter()
            .enumerate()
            .map(|(i, (r, a, other))| match (i == at, *a == row.action) {
                (true, _) => format!("{} (on {r}, with {shown})", d.basis),
                (false, true) => format!("{} (on {r})", other.basis),
                (false, false) => format!("{a}: {} (on {r})", other.basis),
            })
            .collect::<Vec<_>>()
            .join("; ");
        let target = match picked {
            TagRead::Ec2(kind) => Target::Ec2(vec![(
                kind,
                IdPick::Tagged {
                    outside: outside.clone(),
                    tags: wanted,
                },
            )]),
            TagRead::Found(kind) => Target::Tagged { kind, tags: wanted },
        };
        variants.push((target, expect, Vec::new(), basis));
    }
    (!variants.is_empty()).then_some(variants)
}

/// The one resource whose tags a row's request is judged on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TagRead {
    /// The one EC2 ID type the request names by its own ID.
    Ec2(Ec2Id),
    /// The one Elastic Load Balancing resource the request names, found by
    /// a listing and picked by what DescribeTags lists for it.
    Found(crate::catalogue::Found),
}

/// Where in the row's resources that one resource is, and what it is: an
/// EC2 row naming one ID type by its own ID; an ELBv2 row whose one
/// resource is the load balancer, target group or listener its request
/// names (`Row::found_by_tags`). Pure.
fn tag_read_resource(row: &crate::catalogue::Row) -> Option<(usize, TagRead)> {
    let slots = crate::resource::ec2_slots(row.resources);
    if let [kind] = slots.as_slice() {
        if !row.ec2_ids_sent().contains(kind) {
            return None;
        }
        let at = row
            .resources
            .iter()
            .position(|t| crate::resource::names(t, *kind))?;
        return Some((at, TagRead::Ec2(*kind)));
    }
    row.found_by_tags().map(|kind| (0, TagRead::Found(kind)))
}

/// The targets of a row on the account or on EC2 resources: one check where
/// every policy pattern treats all IDs alike; else one on each ID the
/// policies name, and one on an ID outside all of them, each judged on
/// exactly what it probes (a grant on one instance is proven on it, and the
/// role proven unable to do the same to another).
fn ec2_targets(
    policies: &[Policy],
    row: &crate::catalogue::Row,
    at: &Place,
) -> Result<Vec<Target>, String> {
    let slots = crate::resource::ec2_slots(row.resources);
    if slots.is_empty() {
        return Ok(vec![Target::Account]);
    }
    // Every resource pattern of the statements naming the action, Allow or
    // Deny, Resource or NotResource: each can tell IDs apart.
    let patterns: Vec<&String> = statements(policies)
        .filter(|s| super::eval::action_matches(s, row.action))
        .filter_map(|s| s.resources.as_ref())
        .flat_map(|r| r.patterns.iter())
        .collect();
    let representative = Target::Account.judged_resources(row, at);
    // Per type: the patterns that do not cover its representative ID, and
    // the IDs they name exactly.
    let narrow: Vec<(Ec2Id, Vec<String>, Vec<String>)> = slots
        .iter()
        .map(|kind| {
            let ty = kind.parts().1;
            // The ID's own slot, not what the request creates of the same
            // type (CopyVolumes: the copy is `volume/*`).
            let rep = representative
                .iter()
                .find(|r| r.contains(&format!(":{ty}/")) && !r.ends_with(&format!(":{ty}/*")))
                .cloned()
                .unwrap_or_default();
            let naming: Vec<String> = patterns
                .iter()
                .filter(|p| {
                    crate::resource::ec2_type_of(p) == Some(ty) && !wildcard(p, &rep, false)
                })
                .map(|p| (*p).clone())
                .collect();
            let exact: Vec<String> = naming
                .iter()
                .filter_map(|p| p.rsplit_once('/').map(|(_, id)| id))
                .filter(|id| !has_wildcard(id) && id.starts_with(&format!("{}-", kind.parts().0)))
                .map(str::to_owned)
                .collect();
            (*kind, dedup(naming), dedup(exact))
        })
        .collect();
    if narrow.iter().all(|(_, naming, _)| naming.is_empty()) {
        return Ok(vec![Target::Account]);
    }
    // A request that names a resource only through another ID (an
    // attachment names its instance and interface) cannot be aimed at the
    // particular ones a pattern names, so no verdict would be about them.
    let sent = row.ec2_ids_sent();
    if let Some((kind, naming, _)) = narrow
        .iter()
        .find(|(k, naming, _)| !naming.is_empty() && !sent.contains(k))
    {
        return Err(format!(
            "the policies name particular {} resources for it ({}), and its request names them only through another ID, \
             so the probe cannot be aimed at the ones the grant covers",
            kind.parts().1,
            naming.join(", ")
        ));
    }
    let outside = |kind: Ec2Id| -> (Ec2Id, IdPick) {
        let naming = narrow
            .iter()
            .find(|(k, _, _)| *k == kind)
            .map(|(_, n, _)| n.clone())
            .unwrap_or_default();
        (kind, IdPick::Outside(naming))
    };
    let mut targets = vec![Target::Ec2(slots.iter().map(|k| outside(*k)).collect())];
    for (kind, _, exact) in &narrow {
        for id in exact {
            let picks = slots
                .iter()
                .map(|k| {
                    if k == kind {
                        (*k, IdPick::Exact(id.clone()))
                    } else {
                        outside(*k)
                    }
                })
                .collect();
            targets.push(Target::Ec2(picks));
        }
    }
    Ok(targets)
}

/// The patterns of the statements naming the row's action that name
/// particular resources of those the probe finds at run time (a listed zone,
/// cluster or certificate, for `Target::Any` or the account): they overlap
/// the ARN of any such resource but do not match the representative one the
/// expectation is judged on. Templates that name no found resource read the
/// same either way, and name nothing particular.
fn naming_particular(
    policies: &[Policy],
    row: &crate::catalogue::Row,
    target: &Target,
    at: &Place,
) -> Vec<String> {
    let any = target.resources(row, at);
    let representative = target.judged_resources(row, at);
    let mut named: Vec<String> = Vec::new();
    for p in statements(policies)
        .filter(|s| super::eval::action_matches(s, row.action))
        .filter_map(|s| s.resources.as_ref())
        .flat_map(|r| r.patterns.iter())
    {
        let particular = any
            .iter()
            .zip(&representative)
            .any(|(a, rep)| a != rep && arn_overlap(p, a) && !wildcard(p, rep, false));
        if particular && !named.contains(p) {
            named.push(p.clone());
        }
    }
    named
}

/// Can a pattern and a row's ARN template name the same real resource?
/// Segment by segment where both are whole ARNs: a real ARN has no ':' in
/// its partition, service, region or account, so `loadbalancer/app/*/*`
/// (its region a `*`) shares no value with `listener/app/*/*/*`, though as
/// bare text a `*` could run across the colons.
fn arn_overlap(pattern: &str, template: &str) -> bool {
    let (p, t): (Vec<&str>, Vec<&str>) = (
        pattern.splitn(6, ':').collect(),
        template.splitn(6, ':').collect(),
    );
    if p.len() == 6 && t.len() == 6 {
        p.iter().zip(&t).all(|(a, b)| crate::glob::overlap(a, b))
    } else {
        crate::glob::overlap(pattern, template)
    }
}

/// Does the row's request name a resource a listing finds at run time (an
/// EKS cluster in its path, a certificate in its parameters)?
fn names_a_listed_resource(row: &crate::catalogue::Row) -> bool {
    let Probe::Wire(w) = &row.probe else {
        return false;
    };
    w.params
        .iter()
        .any(|(_, v)| matches!(v, crate::catalogue::V::Found(_)))
        || crate::catalogue::Found::ALL
            .iter()
            .any(|f| f.placeholder().is_some_and(|p| w.path.contains(p)))
}

fn dedup(mut v: Vec<String>) -> Vec<String> {
    let mut seen = Vec::new();
    v.retain(|x| {
        let new = !seen.contains(x);
        seen.push(x.clone());
        new
    });
    v
}

fn statements(policies: &[Policy]) -> impl Iterator<Item = &Statement> {
    policies.iter().flat_map(|p| p.statements.iter())
}

/// Does any statement name this service ("dynamodb:*", "dynamodb:List*", "*")?
fn names_service(policies: &[Policy], service: &str) -> bool {
    statements(policies).any(|s| {
        s.actions.patterns.iter().any(|p| {
            let prefix = p.split(':').next().unwrap_or(p);
            wildcard(prefix, service, true)
        })
    })
}

/// The representative key a fresh probe uses under `prefix`: its random
/// part as zeros, so the expectation and its text are stable.
fn fresh_key(prefix: &KeyPrefix) -> String {
    prefix.fresh_key(&"0".repeat(32))
}

/// Why the policies give no checks.
#[derive(Debug, thiserror::Error)]
pub enum DeriveError {
    #[error(transparent)]
    Check(#[from] Invalid),
}

pub fn derive(policies: &[Policy], extra: &Extra, at: &Place) -> Result<Derived, DeriveError> {
    let mut targets = Targets::default();
    for s in statements(policies) {
        if let Some(Patterns {
            patterns,
            negated: false,
        }) = &s.resources
        {
            for p in patterns {
                read_resource(p, at, &mut targets);
            }
        }
    }
    targets.prefer_exact_secrets();
    for b in &extra.buckets {
        targets.bucket(b.clone(), KeyPrefix::default());
    }
    for t in &extra.tables {
        targets.table(t.clone());
    }

    let p = &at.partition;
    let mut out = Derived {
        checks: Vec::new(),
        basis: Vec::new(),
        unprobed: Vec::new(),
    };
    let mut add = |action: Action, target: Target, resource: String| -> Result<(), Invalid> {
        let Decision {
            expect,
            basis,
            conditions,
        } = evaluate(statements(policies), action.name(), &resource);
        let check = Check::new(action, expect, target, None)?.conditional(conditions);
        out.checks.push(check);
        out.basis.push(format!("{basis} (on {resource})"));
        Ok(())
    };
    for (bucket, prefixes) in &targets.buckets {
        add(
            Action::from(Sdk::ListBucket),
            Target::Bucket(bucket.clone()),
            format!("arn:{p}:s3:::{bucket}"),
        )?;
        // The other bucket reads, where the policies grant them.
        for read in [
            Sdk::GetBucketLocation,
            Sdk::ListBucketMultipartUploads,
            Sdk::ListBucketVersions,
        ] {
            let action = Action::from(read);
            if mentioned(policies, action.name()) {
                add(
                    action,
                    Target::Bucket(bucket.clone()),
                    format!("arn:{p}:s3:::{bucket}"),
                )?;
            }
        }
        if let Some(key) = &extra.object {
            let target = Target::Object {
                bucket: bucket.clone(),
                key: ObjectKeyChoice::Named(key.clone()),
            };
            add(
                Action::from(Sdk::GetObject),
                target,
                format!("arn:{p}:s3:::{bucket}/{key}"),
            )?;
        }
        for prefix in prefixes {
            // Without --object, GetObject reads a fresh key: it tells both
            // ways once s3:ListBucket is proven in the same probe.
            let read = extra
                .object
                .is_none()
                .then_some(Action::from(Sdk::GetObject));
            for action in read.into_iter().chain([
                Action::from(Sdk::PutObject),
                Action::from(Sdk::DeleteObject),
            ]) {
                let target = Target::Object {
                    bucket: bucket.clone(),
                    key: ObjectKeyChoice::Fresh(prefix.clone()),
                };
                add(
                    action,
                    target,
                    format!("arn:{p}:s3:::{bucket}/{}", fresh_key(prefix)),
                )?;
            }
        }
    }
    for t in &targets.tables {
        let region = t.region().unwrap_or(&at.region);
        let account = t.account().unwrap_or(&at.account);
        let arn = format!("arn:{p}:dynamodb:{region}:{account}:table/{}", t.as_str());
        for action in [
            Action::from(Sdk::DescribeTable),
            Action::from(Sdk::DeleteTable),
        ] {
            add(action, Target::Table(t.clone()), arn.clone())?;
        }
        for action in [
            Action::from(Sdk::GetItem),
            Action::from(Sdk::PutItem),
            Action::from(Sdk::DeleteItem),
        ] {
            let target = Target::Item {
                table: t.clone(),
                key: None,
            };
            add(action, target, arn.clone())?;
        }
    }
    if names_service(policies, "dynamodb") {
        // ListTables takes no resource: only a statement on "*" grants it.
        add(
            Action::from(Sdk::ListTables),
            Target::Account,
            "*".to_owned(),
        )?;
    }
    catalogue_checks(policies, &targets.named, at, &mut out)?;
    for arn in &targets.elsewhere {
        s3_elsewhere(policies, arn, &mut out.unprobed);
    }

    // S3 and DynamoDB granted on wildcards only: nothing names a bucket or
    // a table to probe.
    let unnamed: Vec<(&str, &str, &str)> = [
        ("s3", "bucket", "--bucket"),
        ("dynamodb", "table", "--table"),
    ]
    .into_iter()
    .filter(|(service, _, _)| {
        names_service(policies, service)
            && !out.checks.iter().any(|c| c.action().service() == *service)
    })
    .collect();
    for s in statements(policies).filter(|s| !s.actions.negated && s.effect == super::Effect::Allow)
    {
        for pattern in &s.actions.patterns {
            if out.unprobed.iter().any(|u| u.action == *pattern) {
                continue;
            }
            let prefix = pattern.split(':').next().unwrap_or(pattern);
            if let Some((_, what, flag)) = unnamed
                .iter()
                .find(|(service, _, _)| wildcard(prefix, service, true))
            {
                if crate::sar::known(pattern) || has_wildcard(pattern) {
                    out.unprobed.push(Unprobed {
                        action: pattern.clone(),
                        why: SkipGroup::NoResourceNamed,
                        reason: format!(
                            "no concrete {what} is named in the policies (the grant's resource is a wildcard); give {flag}, or name one in a spec, to probe it (named by {})",
                            s.label
                        ),
                    });
                    continue;
                }
            }
            if let Some(u) = unprobed_pattern(pattern, &s.label) {
                out.unprobed.push(u);
            }
        }
    }
    // A policy with nothing to probe is no bad input: the run checks the
    // identity and lists every grant as not proven, with why.
    Ok(out)
}

/// Do the policies judge every secret of a name alike for the action: no
/// statement of it carries a condition, and none denies it where a secret
/// could be (every resource, Secrets Manager's, or by NotResource)? Pure.
fn judged_alike<'a>(statements: impl IntoIterator<Item = &'a Statement>, action: &str) -> bool {
    !statements.into_iter().any(|s| {
        let denies_secrets = || {
            s.effect == super::Effect::Deny
                && s.resources.as_ref().is_none_or(|r| {
                    r.negated
                        || r.patterns.iter().any(|p| {
                            p == "*" || p.contains("secretsmanager") || p.starts_with("arn:*")
                        })
                })
        };
        super::eval::action_matches(s, action) && (!s.conditions.is_empty() || denies_secrets())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Expect;
    use crate::policy::parse;
    use std::path::Path;

    fn derived(policy: &str, extra: &Extra) -> Result<Derived, DeriveError> {
        let p = parse(policy.as_bytes(), Path::new("p.json")).unwrap();
        derive(&[p], extra, &Place::example())
    }

    /// (action, target label, expectation) of each derived check.
    fn table(d: &Derived) -> Vec<(String, String, Expect)> {
        d.checks
            .iter()
            .map(|c| (c.action().name().to_owned(), c.label(), c.expect()))
            .collect()
    }

    fn has(d: &Derived, action: &str, label: &str, expect: Expect) -> bool {
        table(d).contains(&(action.to_owned(), label.to_owned(), expect))
    }

    const REFERENCE: &str = r#"{"Version":"2012-10-17","Statement":[
        {"Sid":"ListAndDescribe","Effect":"Allow","Action":["dynamodb:List*","dynamodb:Describe*"],"Resource":"arn:aws:dynamodb:*:*:table/orders"},
        {"Effect":"Allow","Action":["s3:ListBucket"],"Resource":"arn:aws:s3:::my-bucket"},
        {"Sid":"List","Effect":"Allow","Action":["s3:GetObject","s3:GetObjectVersion"],"Resource":"arn:aws:s3:::my-bucket/*"}]}"#;

    #[test]
    fn the_reference_policy_gives_the_reference_checks_and_more() {
        let extra = Extra {
            object: Some(ObjectKey::parse("demo-test-file").unwrap()),
            ..Extra::default()
        };
        let d = derived(REFERENCE, &extra).unwrap();
        use Expect::*;
        assert_eq!(
            table(&d),
            [
                ("s3:ListBucket", "bucket my-bucket", Allow),
                ("s3:GetObject", "object my-bucket/demo-test-file", Allow),
                ("s3:PutObject", "object my-bucket/irsa-verify-probe/*", Deny),
                (
                    "s3:DeleteObject",
                    "object my-bucket/irsa-verify-probe/*",
                    Deny
                ),
                ("dynamodb:DescribeTable", "table orders", Allow),
                ("dynamodb:DeleteTable", "table orders", Deny),
                ("dynamodb:GetItem", "item orders (random key)", Deny),
                ("dynamodb:PutItem", "item orders (random key)", Deny),
                ("dynamodb:DeleteItem", "item orders (random key)", Deny),
                ("dynamodb:ListTables", "account", Deny),
            ]
            .map(|(a, l, e)| (a.to_owned(), l.to_owned(), e))
        );
        // Wildcards are expanded against IAM's action list: what they grant
        // that nothing probes is shown.
        let unprobed: Vec<(&str, SkipGroup)> = d
            .unprobed
            .iter()
            .map(|u| (u.action.as_str(), u.why))
            .collect();
        assert_eq!(
            unprobed,
            [
                ("dynamodb:List*", SkipGroup::NoProbe),
                ("dynamodb:Describe*", SkipGroup::NoProbe),
                ("s3:GetObjectVersion", SkipGroup::NoProbe)
            ]
        );
        let list = &d.unprobed[0].reason;
        assert!(
            list.contains("dynamodb:ListBackups") && !list.contains("dynamodb:ListTables,"),
            "{list}"
        );
        assert!(
            d.basis[0].contains("allowed by p.json statement 2"),
            "{:?}",
            d.basis
        );
    }

    #[test]
    fn assume_role_on_a_concrete_role_is_an_allow_check_on_it_a_wildcard_a_skip_with_why() {
        let target = "arn:aws:iam::222233334444:role/team/x";
        let concrete = format!(
            r#"{{"Statement":[{{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"{target}"}}]}}"#
        );
        let d = derived(&concrete, &Extra::default()).unwrap();
        assert_eq!(
            table(&d),
            [(
                "sts:AssumeRole".to_owned(),
                format!("role {target}"),
                Expect::Allow
            )]
        );
        assert!(d.unprobed.is_empty(), "{:?}", d.unprobed);
        assert!(
            d.basis[0].contains(&format!("(on {target})")),
            "{:?}",
            d.basis
        );
        // A role named only elsewhere is proven out of reach.
        let passed = format!(
            r#"{{"Statement":[{{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"{target}"}},
                {{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::111122223333:role/node"}}]}}"#
        );
        let d = derived(&passed, &Extra::default()).unwrap();
        assert!(has(
            &d,
            "sts:AssumeRole",
            "role arn:aws:iam::111122223333:role/node",
            Expect::Deny
        ));
        for wildcard in [
            "arn:aws:iam::222233334444:role/*",
            "arn:aws:iam::*:role/x",
            "*",
        ] {
            let policy = format!(
                r#"{{"Statement":[{{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"{wildcard}"}}]}}"#
            );
            let d = derived(&policy, &Extra::default()).unwrap();
            assert!(d.checks.is_empty(), "{wildcard}: {:?}", table(&d));
            let skipped: Vec<(&str, SkipGroup)> = d
                .unprobed
                .iter()
                .map(|u| (u.action.as_str(), u.why))
                .collect();
            assert_eq!(
                skipped,
                [("sts:AssumeRole", SkipGroup::NoResourceNamed)],
                "{wildcard}"
            );
            assert!(
                d.unprobed[0].reason.contains("no concrete role is named"),
                "{}",
                d.unprobed[0].reason
            );
        }
    }

    #[test]
    fn without_an_object_get_object_reads_a_fresh_key() {
        let d = derived(REFERENCE, &Extra::default()).unwrap();
        assert!(
            has(
                &d,
                "s3:GetObject",
                "object my-bucket/irsa-verify-probe/*",
                Expect::Allow
            ),
            "{:?}",
            table(&d)
        );
        assert!(!d.unprobed.iter().any(|u| u.action == "s3:GetObject"));
    }

    #[test]
    fn get_star_not_action_prefix_and_explicit_deny() {
        let policy = r#"{"Statement":[
            {"Effect":"Allow","Action":"s3:Get*","Resource":"arn:aws:s3:::b-1/*"},
            {"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b-1"},
            {"Effect":"Allow","NotAction":["s3:DeleteObject","s3:Get*","s3:ListBucket"],"Resource":"arn:aws:s3:::b-1/uploads/*"},
            {"Effect":"Deny","Action":"s3:PutObject","Resource":"arn:aws:s3:::b-1/uploads/private/*"}]}"#;
        let extra = Extra {
            object: Some(ObjectKey::parse("demo-test-file").unwrap()),
            ..Extra::default()
        };
        let d = derived(policy, &extra).unwrap();
        use Expect::*;
        for (action, label, expect) in [
            ("s3:ListBucket", "bucket b-1", Allow),
            ("s3:GetObject", "object b-1/demo-test-file", Allow),
            // The prefix grant, shown on both sides of its boundary.
            (
                "s3:PutObject",
                "object b-1/uploads/irsa-verify-probe/*",
                Allow,
            ),
            ("s3:PutObject", "object b-1/irsa-verify-probe/*", Deny),
            (
                "s3:DeleteObject",
                "object b-1/uploads/irsa-verify-probe/*",
                Deny,
            ),
            // An explicit deny beats the allow of the wider prefix.
            (
                "s3:PutObject",
                "object b-1/uploads/private/irsa-verify-probe/*",
                Deny,
            ),
        ] {
            assert!(
                has(&d, action, label, expect),
                "{action} {label} {expect:?}: {:?}",
                table(&d)
            );
        }
        assert!(
            !d.checks
                .iter()
                .any(|c| c.action() == Action::from(Sdk::ListTables)),
            "no dynamodb named"
        );
    }

    /// A copy names its source volume by ID and creates another: the
    /// source's patterns are judged on the source's slot, not on the
    /// created `volume/*`, so `volume/vol-*` treats every ID alike.
    #[test]
    fn a_created_resource_of_the_same_type_does_not_name_ids() {
        let policy = r#"{"Statement":[
            {"Effect":"Allow","Action":"ec2:CopyVolumes","Resource":"arn:aws:ec2:*:*:volume/vol-*"},
            {"Effect":"Allow","Action":"ec2:CopyVolumes","Resource":"arn:aws:ec2:*:*:volume/*"}]}"#;
        let d = derived(policy, &Extra::default()).unwrap();
        assert!(
            has(
                &d,
                "ec2:CopyVolumes",
                "the first volume listed",
                Expect::Allow
            ),
            "{:?} {:?}",
            table(&d),
            d.unprobed
        );
        judged_exactly(&d, policy);
    }

    /// The agent knows where it sends each request: a grant limited by
    /// `aws:RequestedRegion` is judged, not left to an unevaluated
    /// condition; IAM's one endpoint is in the partition's home region.
    #[test]
    fn requested_region_is_known() {
        let policy = |region: &str| {
            format!(
                r#"{{"Statement":[{{"Effect":"Allow","Action":["ec2:DescribeSubnets","iam:ListInstanceProfiles"],"Resource":"*",
                    "Condition":{{"StringEquals":{{"aws:RequestedRegion":"{region}"}}}}}}]}}"#
            )
        };
        let here = derived(&policy("eu-west-1"), &Extra::default()).unwrap();
        let subnets = |d: &Derived| {
            d.checks
                .iter()
                .find(|c| c.action().name() == "ec2:DescribeSubnets")
                .map(|c| (c.expect(), c.conditions().to_vec()))
                .unwrap()
        };
        assert_eq!(subnets(&here), (Expect::Allow, vec![]));
        assert!(has(
            &here,
            "iam:ListInstanceProfiles",
            "account",
            Expect::Deny
        ));
        let elsewhere = derived(&policy("us-east-1"), &Extra::default()).unwrap();
        assert_eq!(subnets(&elsewhere), (Expect::Deny, vec![]));
        assert!(has(
            &elsewhere,
            "iam:ListInstanceProfiles",
            "account",
            Expect::Allow
        ));
    }

    #[test]
    fn not_resource_and_conditions() {
        let policy = r#"{"Statement":[
            {"Effect":"Allow","Action":"s3:*","NotResource":"arn:aws:s3:::secret/*"},
            {"Effect":"Allow","Action":"dynamodb:DescribeTable","Resource":"arn:aws:dynamodb:eu-west-1:111122223333:table/t-1",
             "Condition":{"StringEquals":{"aws:PrincipalTag/team":"a"}}}]}"#;
        let extra = Extra {
            buckets: vec![
                BucketName::parse("secret").unwrap(),
                BucketName::parse("open").unwrap(),
            ],
            ..Extra::default()
        };
        let d = derived(policy, &extra).unwrap();
        use Expect::*;
        assert!(has(
            &d,
            "s3:PutObject",
            "object open/irsa-verify-probe/*",
            Allow
        ));
        assert!(has(
            &d,
            "s3:PutObject",
            "object secret/irsa-verify-probe/*",
            Deny
        ));
        assert!(
            has(&d, "s3:ListBucket", "bucket secret", Allow),
            "NotResource spares the bucket itself"
        );
        let describe = d
            .checks
            .iter()
            .find(|c| c.action() == Action::from(Sdk::DescribeTable))
            .unwrap();
        assert_eq!(describe.conditions(), ["aws:PrincipalTag/team"]);
        assert_eq!(describe.expect(), Allow);
        let delete = d
            .checks
            .iter()
            .find(|c| c.action() == Action::from(Sdk::DeleteTable))
            .unwrap();
        assert!(delete.conditions().is_empty());
        // ListTables: "dynamodb" is named, and no statement is on "*".
        assert!(has(&d, "dynamodb:ListTables", "account", Deny));
    }

    #[test]
    fn wildcard_resources_need_targets_by_flag() {
        let policy = r#"{"Statement":[{"Effect":"Allow","Action":["s3:*","sqs:SendMessage"],"Resource":"*"}]}"#;
        // Nothing to probe is no bad input: every grant is listed as not
        // proven, and the flag that would name a target is said.
        let d = derived(policy, &Extra::default()).unwrap();
        assert!(d.checks.is_empty());
        let s3 = d.unprobed.iter().find(|u| u.action == "s3:*").unwrap();
        assert_eq!(s3.why, SkipGroup::NoResourceNamed);
        assert!(s3.reason.contains("--bucket"), "{}", s3.reason);
        assert!(
            d.unprobed.iter().any(|u| u.action == "sqs:SendMessage"),
            "{:?}",
            d.unprobed
        );
        let extra = Extra {
            buckets: vec![BucketName::parse("b-1").unwrap()],
            ..Extra::default()
        };
        let d = derived(policy, &extra).unwrap();
        assert!(has(
            &d,
            "s3:DeleteObject",
            "object b-1/irsa-verify-probe/*",
            Expect::Allow
        ));
        assert!(d.unprobed.iter().any(|u| u.action == "sqs:SendMessage"));
        let s3 = d
            .unprobed
            .iter()
            .find(|u| u.action == "s3:*")
            .expect("s3:* expanded");
        assert!(
            s3.reason.contains("of them probed") && s3.reason.contains("s3:"),
            "{}",
            s3.reason
        );
    }

    #[test]
    fn unknown_and_never_probed_actions_are_named_as_such() {
        let policy = r#"{"Statement":[{"Effect":"Allow","Action":["ssm:GetParameterWithContext","sqs:ReceiveMessage","ec2:Describe*","nosuch:*"],"Resource":"*"}]}"#;
        let d = derived(
            policy,
            &Extra {
                buckets: vec![BucketName::parse("b-1").unwrap()],
                ..Extra::default()
            },
        )
        .unwrap();
        let why = |a: &str| d.unprobed.iter().find(|u| u.action == a).map(|u| u.why);
        assert_eq!(
            why("ssm:GetParameterWithContext"),
            Some(SkipGroup::UnknownAction)
        );
        assert_eq!(why("sqs:ReceiveMessage"), Some(SkipGroup::NeverProbed));
        assert_eq!(why("nosuch:*"), Some(SkipGroup::UnknownAction));
        assert_eq!(
            why("ec2:Describe*"),
            Some(SkipGroup::NoProbe),
            "EC2 describes the catalogue lacks"
        );
    }

    #[test]
    fn table_arns_use_the_policys_region_and_account_or_the_pods() {
        let policy = r#"{"Statement":[{"Effect":"Allow","Action":"dynamodb:DescribeTable","Resource":"arn:aws:dynamodb:us-east-2:999999999999:table/t-1"}]}"#;
        let d = derived(policy, &Extra::default()).unwrap();
        assert!(d
            .basis
            .iter()
            .any(|b| b.contains("arn:aws:dynamodb:us-east-2:999999999999:table/t-1")));
        let extra = Extra {
            tables: vec![TableName::parse("t-2").unwrap()],
            ..Extra::default()
        };
        let d = derived(policy, &extra).unwrap();
        assert!(has(&d, "dynamodb:DescribeTable", "table t-2", Expect::Deny));
        assert!(d
            .basis
            .iter()
            .any(|b| b.contains("arn:aws:dynamodb:eu-west-1:111122223333:table/t-2")));
        // A wildcard region or account in the policy's ARN is no place: the pod's is used.
        let wild = r#"{"Statement":[{"Effect":"Allow","Action":"dynamodb:DescribeTable","Resource":"arn:aws:dynamodb:*:*:table/t-3"}]}"#;
        let d = derived(wild, &Extra::default()).unwrap();
        assert!(
            d.basis
                .iter()
                .any(|b| b.contains("arn:aws:dynamodb:eu-west-1:111122223333:table/t-3")),
            "{:?}",
            d.basis
        );
        assert!(has(
            &d,
            "dynamodb:DescribeTable",
            "table t-3",
            Expect::Allow
        ));
    }

    #[test]
    fn a_question_mark_prefix_is_probed_inside_the_grant() {
        let policy = r#"{"Statement":[{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::b-1/upl?ads/*"}]}"#;
        let d = derived(policy, &Extra::default()).unwrap();
        assert!(
            has(
                &d,
                "s3:PutObject",
                "object b-1/uplxads/irsa-verify-probe/*",
                Expect::Allow
            ),
            "{:?}",
            table(&d)
        );
        assert!(has(
            &d,
            "s3:PutObject",
            "object b-1/irsa-verify-probe/*",
            Expect::Deny
        ));
    }

    #[test]
    fn access_point_arns_are_never_taken_for_buckets() {
        let policy = r#"{"Statement":[
            {"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:eu-west-1:111122223333:accesspoint/my-ap/object/*"},
            {"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::real-bucket"}]}"#;
        let d = derived(policy, &Extra::default()).unwrap();
        assert!(
            table(&d)
                .iter()
                .all(|(_, label, _)| !label.contains("accesspoint")),
            "{:?}",
            table(&d)
        );
        let put = d
            .unprobed
            .iter()
            .find(|u| u.action == "s3:PutObject")
            .expect("the access point grant is reported");
        assert!(
            put.reason.contains("accesspoint ARN, not a bucket"),
            "{}",
            put.reason
        );
        assert_eq!(put.why, SkipGroup::NoResourceNamed);
        assert!(has(
            &d,
            "s3:ListBucket",
            "bucket real-bucket",
            Expect::Allow
        ));
    }

    #[test]
    fn ebs_csi_creates_carry_their_tags_and_need_create_tags_too() {
        let d = derived(
            include_str!("../../tests/fixtures/addons/aws-ebs-csi-driver.json"),
            &Extra::default(),
        )
        .unwrap();
        let create = d
            .checks
            .iter()
            .find(|c| c.action().name() == "ec2:CreateVolume")
            .expect("CreateVolume derived");
        assert_eq!(create.expect(), Expect::Allow);
        assert!(create.conditions().is_empty(), "{:?}", create.conditions());
        let keys: Vec<&str> = create.tags().iter().map(|(k, _)| k.as_str()).collect();
        assert!(
            keys.contains(&"ebs.csi.aws.com/cluster") && keys.contains(&"CSIVolumeName"),
            "{keys:?}"
        );
        let i = d
            .checks
            .iter()
            .position(|c| c.action().name() == "ec2:CreateVolume")
            .unwrap();
        assert!(
            d.basis[i].contains("ec2:CreateTags: allowed by"),
            "{}",
            d.basis[i]
        );
        // Without the CreateTags grant the tagged create is denied.
        let no_tags = include_str!("../../tests/fixtures/addons/aws-ebs-csi-driver.json")
            .replace("\"ec2:CreateTags\"", "\"ec2:CreateTagz\"");
        let d = derived(&no_tags, &Extra::default()).unwrap();
        let create = d
            .checks
            .iter()
            .find(|c| c.action().name() == "ec2:CreateVolume")
            .unwrap();
        assert_eq!(create.expect(), Expect::Deny);
        // DeleteVolume hangs on the volume's own tags, which no request
        // sets: probed on a volume found so tagged, and on one not.
        assert_eq!(
            table(&d)
                .into_iter()
                .filter(|(a, _, _)| a == "ec2:DeleteVolume")
                .map(|(_, l, e)| (l, e))
                .collect::<Vec<_>>(),
            [
                (
                    "a volume tagged ebs.csi.aws.com/cluster=true or CSIVolumeName or kubernetes.io/created-for/pvc/name"
                        .to_owned(),
                    Expect::Allow
                ),
                (
                    "a volume not tagged ebs.csi.aws.com/cluster=true or CSIVolumeName or kubernetes.io/created-for/pvc/name"
                        .to_owned(),
                    Expect::Deny
                )
            ]
        );
    }

    #[test]
    fn bucket_reads_are_checked_where_granted() {
        let policy = r#"{"Statement":[{"Effect":"Allow","Action":["s3:ListBucket","s3:GetBucketLocation","s3:ListBucketMultipartUploads"],"Resource":"arn:aws:s3:::b-1"}]}"#;
        let d = derived(policy, &Extra::default()).unwrap();
        assert!(has(&d, "s3:GetBucketLocation", "bucket b-1", Expect::Allow));
        assert!(has(
            &d,
            "s3:ListBucketMultipartUploads",
            "bucket b-1",
            Expect::Allow
        ));
        assert!(
            !table(&d)
                .iter()
                .any(|(a, _, _)| a == "s3:ListBucketVersions"),
            "not granted, not destructive: no check"
        );
    }

    /// Every check of a derivation is judged on the exact resources it
    /// probes: no deny check's resources overlap an unconditional Allow of
    /// the same action, and no allow check's resources fall outside one.
    fn judged_exactly(d: &Derived, policy: &str) {
        let p = parse(policy.as_bytes(), Path::new("p.json")).unwrap();
        for c in &d.checks {
            let row = c.action().row();
            for r in c.target().resources(row, &Place::example()) {
                let allows = p.statements.iter().filter(|s| {
                    s.effect == crate::policy::Effect::Allow
                        && s.conditions.is_empty()
                        && super::super::eval::action_matches(s, row.action)
                });
                // An ID picked outside some patterns is outside them.
                let outside: Vec<&String> = match c.target() {
                    Target::Ec2(picks) => picks
                        .iter()
                        .flat_map(|(_, p)| match p {
                            IdPick::Outside(avoid) => avoid.iter().collect(),
                            IdPick::Tagged { outside, .. } => outside.iter().collect(),
                            IdPick::Exact(_) => Vec::new(),
                        })
                        .collect(),
                    _ => Vec::new(),
                };
                let overlapping = allows.filter_map(|s| s.resources.as_ref()).any(|res| {
                    !res.negated
                        && res
                            .patterns
                            .iter()
                            .any(|pat| !outside.contains(&pat) && crate::glob::overlap(pat, &r))
                });
                if c.expect() == Expect::Deny && c.conditions().is_empty() {
                    let denied = p.statements.iter().any(|s| {
                        s.effect == crate::policy::Effect::Deny
                            && super::super::eval::statement_matches(s, row.action, &r)
                    });
                    assert!(
                        denied || !overlapping,
                        "{} on {} expects deny, yet an Allow covers part of it",
                        row.action,
                        r
                    );
                }
            }
        }
    }

    #[test]
    fn a_secrets_full_arn_is_probed_and_judged_by_that_arn() {
        let policy = r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":["secretsmanager:DescribeSecret","secretsmanager:GetSecretValue"],
             "Resource":"arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/db-AbCdEf"},
            {"Effect":"Allow","Action":"secretsmanager:GetResourcePolicy","Resource":"arn:aws:secretsmanager:*:*:secret:prod/db-??????"}]}"#;
        let d = derived(policy, &Extra::default()).unwrap();
        use Expect::*;
        let label = "secret prod/db-AbCdEf (eu-west-1, 111122223333)";
        assert!(
            has(&d, "secretsmanager:DescribeSecret", label, Allow),
            "{:?}",
            table(&d)
        );
        assert!(
            has(&d, "secretsmanager:GetResourcePolicy", label, Allow),
            "{:?}",
            table(&d)
        );
        // The pattern names the same secret: it is not probed again by name
        // (the attempted delete is of a made-up secret, on the account).
        let secrets = || {
            table(&d)
                .into_iter()
                .filter(|(a, _, _)| a != "secretsmanager:DeleteSecret")
        };
        assert!(
            has(&d, "secretsmanager:DeleteSecret", "account", Deny),
            "{:?}",
            table(&d)
        );
        assert!(secrets().all(|(_, l, _)| l == label), "{:?}", table(&d));
        assert!(secrets().all(|(_, _, e)| e == Allow), "{:?}", table(&d));
        let c = &d.checks[0];
        assert_eq!(
            c.target().resources(c.action().row(), &Place::example()),
            ["arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/db-AbCdEf"]
        );
        let Target::Named(n) = c.target() else {
            panic!()
        };
        assert_eq!(
            n.request_name(),
            "arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/db-AbCdEf",
            "the request names the secret by its full ARN"
        );
        // Only a denial tells for GetSecretValue: granted, it is skipped.
        assert!(
            d.unprobed
                .iter()
                .any(|u| u.action == "secretsmanager:GetSecretValue"
                    && u.why == SkipGroup::DenialOnly)
        );
        judged_exactly(&d, policy);
    }

    /// Which statements could judge the real secret otherwise than a
    /// made-up one of its name: a condition on the action, or a Deny of it
    /// where a secret could be.
    #[test]
    fn a_made_up_secret_is_judged_alike_only_without_conditions_or_denies_on_secrets() {
        let alike = |extra: &str| {
            let text = format!(
                r#"{{"Version":"2012-10-17","Statement":[
                {{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"arn:aws:secretsmanager:*:*:secret:dev-*"}}{extra}]}}"#
            );
            let p = parse(text.as_bytes(), Path::new("p.json")).unwrap();
            judged_alike(&p.statements, "secretsmanager:GetSecretValue")
        };
        assert!(alike(""));
        // A Deny elsewhere, or of another action, reaches no secret's read.
        assert!(alike(
            r#",{"Effect":"Deny","Action":"secretsmanager:GetSecretValue","Resource":"arn:aws:s3:::b"}"#
        ));
        assert!(alike(
            r#",{"Effect":"Deny","Action":"secretsmanager:DeleteSecret","Resource":"*"}"#
        ));
        for deny in [
            r#""Resource":"*""#,
            r#""Resource":"arn:aws:secretsmanager:eu-west-1:111122223333:secret:dev-AbCdEf""#,
            r#""Resource":"arn:*:*:*:*:*""#,
            r#""NotResource":"arn:aws:s3:::b""#,
        ] {
            let extra =
                format!(r#",{{"Effect":"Deny","Action":"secretsmanager:GetSecretValue",{deny}}}"#);
            assert!(!alike(&extra), "{deny}");
        }
        assert!(!alike(
            r#",{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"a"}}}"#
        ));
    }

    /// A secret a policy names by a pattern covering every secret of the
    /// name: GetSecretValue granted on it is an allow check (on a made-up
    /// secret of that name); named plainly, it stays denial-only.
    #[test]
    fn get_secret_value_on_a_pattern_is_an_allow_check() {
        use Expect::*;
        let pattern_secret = crate::catalogue::OtherTarget::PatternSecret;
        for pattern in ["dev-*", "dev-??????"] {
            let policy = format!(
                r#"{{"Version":"2012-10-17","Statement":[
                {{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"arn:aws:secretsmanager:eu-west-1:111122223333:secret:{pattern}"}}]}}"#
            );
            let d = derived(&policy, &Extra::default()).unwrap();
            let label = "secret dev (eu-west-1, 111122223333)";
            assert!(
                has(&d, "secretsmanager:GetSecretValue", label, Allow),
                "{pattern}: {:?}",
                table(&d)
            );
            assert!(
                !d.unprobed
                    .iter()
                    .any(|u| u.action == "secretsmanager:GetSecretValue"),
                "{pattern}"
            );
            assert!(d
                .checks
                .iter()
                .filter(|c| c.action().row().action == "secretsmanager:GetSecretValue")
                .all(|c| matches!(c.target(), Target::Named(n) if n.takes(pattern_secret))));
            // Judged on the made-up secret's own ARN (its random suffix as
            // zeros), not on the real secret's pattern.
            let c = &d.checks[0];
            assert_eq!(c.action().row().action, "secretsmanager:GetSecretValue");
            assert_eq!(
                c.target()
                    .judged_resources(c.action().row(), &Place::example()),
                ["arn:aws:secretsmanager:eu-west-1:111122223333:secret:dev-000000"]
            );
        }
        let policy = r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"arn:aws:secretsmanager:eu-west-1:111122223333:secret:dev"}]}"#;
        let d = derived(policy, &Extra::default()).unwrap();
        // `secret:dev` covers no secret (every ARN ends in a suffix): a deny
        // check, on the real secret's form, not a made-up one.
        let label = "secret dev (eu-west-1, 111122223333)";
        assert!(
            has(&d, "secretsmanager:GetSecretValue", label, Deny),
            "{:?}",
            table(&d)
        );
        assert!(d.checks.iter().all(|c| match c.target() {
            Target::Named(n) => !n.takes(pattern_secret),
            _ => true,
        }));
        // A Deny of the action on secrets (here the real secret's exact
        // ARN), or an allow left on an open condition, might reach the real
        // secret and not a made-up one: the real secret's form, denial-only.
        for (extra, why) in [
            (
                r#",{"Effect":"Deny","Action":"secretsmanager:GetSecretValue","Resource":"arn:aws:secretsmanager:eu-west-1:111122223333:secret:dev-AbCdEf"}"#,
                "a deny",
            ),
            (
                r#",{"Effect":"Deny","Action":"secretsmanager:*","Resource":"*","Condition":{"StringEquals":{"secretsmanager:ResourceTag/classified":"true"}}}"#,
                "a deny on tags",
            ),
        ] {
            let policy = format!(
                r#"{{"Version":"2012-10-17","Statement":[
                {{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"arn:aws:secretsmanager:eu-west-1:111122223333:secret:dev-*"}}{extra}]}}"#
            );
            let d = derived(&policy, &Extra::default()).unwrap();
            assert!(
                !d.checks
                    .iter()
                    .any(|c| matches!(c.target(), Target::Named(n) if n.takes(pattern_secret))),
                "{why}: {:?}",
                table(&d)
            );
            assert!(
                !has(&d, "secretsmanager:GetSecretValue", label, Allow),
                "{why}: {:?}",
                table(&d)
            );
        }
        let policy = r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"arn:aws:secretsmanager:eu-west-1:111122223333:secret:dev-*",
             "Condition":{"StringEquals":{"secretsmanager:ResourceTag/team":"a"}}}]}"#;
        let d = derived(policy, &Extra::default()).unwrap();
        assert!(
            !d.checks
                .iter()
                .any(|c| matches!(c.target(), Target::Named(n) if n.takes(pattern_secret))),
            "an open condition: {:?}",
            table(&d)
        );
        // Named by a pattern and plainly: one target, one testcase name.
        let policy = r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":"secretsmanager:DescribeSecret","Resource":[
              "arn:aws:secretsmanager:eu-west-1:111122223333:secret:dev-*",
              "arn:aws:secretsmanager:eu-west-1:111122223333:secret:dev"]}]}"#;
        let d = derived(policy, &Extra::default()).unwrap();
        let described = table(&d)
            .into_iter()
            .filter(|(a, _, _)| a == "secretsmanager:DescribeSecret")
            .count();
        assert_eq!(described, 1, "{:?}", table(&d));
    }

    #[test]
    fn log_groups_and_parameter_paths_are_judged_where_aws_authorizes_them() {
        let policy = r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":["logs:DescribeLogStreams","logs:DescribeLogGroups"],"Resource":"arn:aws:logs:eu-west-1:111122223333:log-group:app:*"},
            {"Effect":"Allow","Action":"ssm:GetParametersByPath","Resource":"arn:aws:ssm:eu-west-1:111122223333:parameter/app/*"}]}"#;
        let d = derived(policy, &Extra::default()).unwrap();
        use Expect::*;
        assert!(
            has(
                &d,
                "logs:DescribeLogStreams",
                "log group app (eu-west-1, 111122223333)",
                Allow
            ),
            "{:?}",
            table(&d)
        );
        // DescribeLogGroups is authorized on `log-group::log-stream:`, which
        // a grant on one group does not cover.
        assert!(
            has(&d, "logs:DescribeLogGroups", "account", Deny),
            "{:?}",
            table(&d)
        );
        // The workload's call names the path, authorized on parameter/app,
        // which `parameter/app/*` does not cover.
        assert!(
            has(
                &d,
                "ssm:GetParametersByPath",
                "parameter path /app (eu-west-1, 111122223333)",
                Deny
            ),
            "{:?}",
            table(&d)
        );
        let i = d
            .checks
            .iter()
            .position(|c| c.action().name() == "ssm:GetParametersByPath")
            .unwrap();
        assert!(
            d.basis[i].contains("on arn:aws:ssm:eu-west-1:111122223333:parameter/app)"),
            "{}",
            d.basis[i]
        );
        judged_exactly(&d, policy);
    }

    /// Karpenter's grant on AWS's public parameters names none: it is
    /// probed on the documented one, judged on its account-less ARN; a
    /// pattern in the caller's account does not cover it, and a public
    /// parameter is the one parameter whose allow GetParameter can prove.
    #[test]
    fn a_grant_on_public_parameters_is_probed_on_a_documented_one() {
        let policy = r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":"ssm:GetParameter","Resource":"arn:aws:ssm:eu-west-1::parameter/aws/service/*"}]}"#;
        let d = derived(policy, &Extra::default()).unwrap();
        let label = format!(
            "parameter {} (eu-west-1)",
            crate::catalogue::PUBLIC_PARAMETER
        );
        assert!(
            has(&d, "ssm:GetParameter", &label, Expect::Allow),
            "{:?}",
            table(&d)
        );
        assert!(
            !d.unprobed.iter().any(|u| u.action == "ssm:GetParameter"),
            "{:?}",
            d.unprobed
        );
        let i = d
            .checks
            .iter()
            .position(|c| c.action().name() == "ssm:GetParameter")
            .unwrap();
        assert!(
            d.basis[i].contains(&format!(
                "on arn:aws:ssm:eu-west-1::parameter{})",
                crate::catalogue::PUBLIC_PARAMETER
            )),
            "{}",
            d.basis[i]
        );
        judged_exactly(&d, policy);
        // In the caller's account: not a public parameter's ARN.
        let own = r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":"ssm:GetParameter","Resource":"arn:aws:ssm:eu-west-1:111122223333:parameter/aws/service/*"}]}"#;
        let d = derived(own, &Extra::default()).unwrap();
        assert!(
            !table(&d).iter().any(|(a, _, _)| a == "ssm:GetParameter"),
            "{:?}",
            table(&d)
        );
        assert!(
            d.unprobed
                .iter()
                .any(|u| u.action == "ssm:GetParameter" && u.why == SkipGroup::NoResourceNamed),
            "{:?}",
            d.unprobed
        );
        // A parameter of the account stays deny-only.
        let app = r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":"ssm:GetParameter","Resource":"arn:aws:ssm:eu-west-1:111122223333:parameter/app/db"}]}"#;
        let d = derived(app, &Extra::default()).unwrap();
        assert!(
            d.unprobed
                .iter()
                .any(|u| u.action == "ssm:GetParameter" && u.why == SkipGroup::DenialOnly),
            "{:?}",
            d.unprobed
        );
    }

    #[test]
    fn a_grant_on_one_instance_is_proven_on_it_and_refused_on_another() {
        let policy = r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":"ec2:TerminateInstances","Resource":"arn:aws:ec2:*:*:instance/i-0abc"},
            {"Effect":"Allow","Action":"ec2:DescribeInstances","Resource":"*"}]}"#;
        let d = derived(policy, &Extra::default()).unwrap();
        use Expect::*;
        let terminate: Vec<(String, Expect)> = table(&d)
            .into_iter()
            .filter(|(a, _, _)| a == "ec2:TerminateInstances")
            .map(|(_, l, e)| (l, e))
            .collect();
        assert_eq!(
            terminate,
            [
                ("an instance other than i-0abc".to_owned(), Deny),
                ("instance i-0abc".to_owned(), Allow)
            ]
        );
        let exact = d
            .checks
            .iter()
            .find(|c| c.target().label() == "instance i-0abc")
            .unwrap();
        assert_eq!(
            exact
                .target()
                .resources(exact.action().row(), &Place::example()),
            ["arn:aws:ec2:eu-west-1:111122223333:instance/i-0abc"]
        );
        judged_exactly(&d, policy);
        // Granted on every instance: one check, any instance.
        let everywhere = r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":"ec2:TerminateInstances","Resource":"arn:aws:ec2:*:*:instance/*"}]}"#;
        let d = derived(everywhere, &Extra::default()).unwrap();
        assert_eq!(
            table(&d)
                .iter()
                .filter(|(a, _, _)| a == "ec2:TerminateInstances")
                .collect::<Vec<_>>(),
            [&(
                "ec2:TerminateInstances".to_owned(),
                "the first instance listed".to_owned(),
                Allow
            )]
        );
        // A prefix pattern that covers every real ID is judged as such, not
        // against the literal `instance/*`.
        let prefix = r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":"ec2:TerminateInstances","Resource":"arn:aws:ec2:*:*:instance/i-*"}]}"#;
        let d = derived(prefix, &Extra::default()).unwrap();
        assert!(
            has(
                &d,
                "ec2:TerminateInstances",
                "the first instance listed",
                Allow
            ),
            "{:?}",
            table(&d)
        );
    }

    /// (label, expectation, open conditions) of each check of one action.
    fn of(d: &Derived, action: &str) -> Vec<(String, Expect, Vec<String>)> {
        d.checks
            .iter()
            .filter(|c| c.action().name() == action)
            .map(|c| (c.label(), c.expect(), c.conditions().to_vec()))
            .collect()
    }

    #[test]
    fn the_load_balancer_controllers_tag_grants_are_probed_on_resources_picked_by_their_tags() {
        // Its statement 13, as published: any ELBv2 resource tagged
        // elbv2.k8s.aws/cluster.
        let lbc = r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":["elasticloadbalancing:ModifyLoadBalancerAttributes","elasticloadbalancing:ModifyTargetGroupAttributes",
              "elasticloadbalancing:ModifyListenerAttributes","elasticloadbalancing:DeleteLoadBalancer"],"Resource":"*",
             "Condition":{"Null":{"aws:ResourceTag/elbv2.k8s.aws/cluster":"false"}}}]}"#;
        let d = derived(lbc, &Extra::default()).unwrap();
        use crate::catalogue::Found;
        use Expect::*;
        for (action, what, kind) in [
            (
                "elasticloadbalancing:ModifyLoadBalancerAttributes",
                "load balancer",
                Found::LoadBalancer,
            ),
            (
                "elasticloadbalancing:ModifyTargetGroupAttributes",
                "target group",
                Found::TargetGroup,
            ),
            (
                "elasticloadbalancing:ModifyListenerAttributes",
                "listener",
                Found::Listener,
            ),
        ] {
            assert_eq!(
                of(&d, action),
                [
                    (
                        format!("a {what} tagged elbv2.k8s.aws/cluster"),
                        Allow,
                        vec![]
                    ),
                    (
                        format!("a {what} not tagged elbv2.k8s.aws/cluster"),
                        Deny,
                        vec![]
                    ),
                ],
                "{action}"
            );
            let i = d
                .checks
                .iter()
                .position(|c| c.action().name() == action)
                .unwrap();
            let Target::Tagged { kind: k, tags } = d.checks[i].target() else {
                panic!("{action}: {:?}", d.checks[i].target())
            };
            assert_eq!(*k, kind);
            let pairs = |p: &[(&str, &str)]| -> Vec<(String, String)> {
                p.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect()
            };
            assert_eq!(
                tags.satisfied_by(&pairs(&[("elbv2.k8s.aws/cluster", "c1")])),
                Some(true)
            );
            assert_eq!(tags.satisfied_by(&pairs(&[("Name", "x")])), Some(false));
            assert!(
                d.basis[i].contains("with the tags elbv2.k8s.aws/cluster=irsa-verify"),
                "{}",
                d.basis[i]
            );
            assert!(
                d.basis[i + 1].contains("with no tags"),
                "{}",
                d.basis[i + 1]
            );
        }
        // A made-up load balancer has no tags to pick it by: conditional, as before.
        assert_eq!(
            of(&d, "elasticloadbalancing:DeleteLoadBalancer"),
            [(
                "account".to_owned(),
                Allow,
                vec!["aws:ResourceTag/elbv2.k8s.aws/cluster".to_owned()]
            )]
        );
        // Granted outright: one check on the first one listed, as before.
        let everywhere = r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":"elasticloadbalancing:ModifyLoadBalancerAttributes","Resource":"*"}]}"#;
        let d = derived(everywhere, &Extra::default()).unwrap();
        assert_eq!(
            of(&d, "elasticloadbalancing:ModifyLoadBalancerAttributes"),
            [("the first load balancer listed".to_owned(), Allow, vec![])]
        );
    }

    #[test]
    fn a_grant_on_tagged_resources_is_probed_on_one_so_tagged_and_refused_on_another() {
        let csi = r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":"ec2:DescribeVolumes","Resource":"*"},
            {"Effect":"Allow","Action":"ec2:DeleteVolume","Resource":"arn:aws:ec2:*:*:volume/*","Condition":{"StringLike":{"ec2:ResourceTag/ebs.csi.aws.com/cluster":"true"}}},
            {"Effect":"Allow","Action":"ec2:DeleteVolume","Resource":"arn:aws:ec2:*:*:volume/*","Condition":{"StringLike":{"ec2:ResourceTag/CSIVolumeName":"*"}}}]}"#;
        let d = derived(csi, &Extra::default()).unwrap();
        use Expect::*;
        assert_eq!(
            of(&d, "ec2:DeleteVolume"),
            [
                (
                    "a volume tagged ebs.csi.aws.com/cluster=true or CSIVolumeName".to_owned(),
                    Allow,
                    vec![]
                ),
                (
                    "a volume not tagged ebs.csi.aws.com/cluster=true or CSIVolumeName".to_owned(),
                    Deny,
                    vec![]
                ),
            ]
        );
        let i = d
            .checks
            .iter()
            .position(|c| c.action().name() == "ec2:DeleteVolume")
            .unwrap();
        let Target::Ec2(picks) = d.checks[i].target() else {
            panic!("an EC2 pick")
        };
        let [(Ec2Id::Volume, IdPick::Tagged { outside, tags })] = picks.as_slice() else {
            panic!("{picks:?}")
        };
        assert!(outside.is_empty());
        let pairs = |p: &[(&str, &str)]| -> Vec<(String, String)> {
            p.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect()
        };
        assert_eq!(
            tags.satisfied_by(&pairs(&[("ebs.csi.aws.com/cluster", "true")])),
            Some(true)
        );
        assert_eq!(tags.satisfied_by(&pairs(&[("Name", "x")])), Some(false));
        assert!(
            d.basis[i].contains("statement 2")
                && d.basis[i].contains("with the tags ebs.csi.aws.com/cluster=true"),
            "{}",
            d.basis[i]
        );
        assert!(
            d.basis[i + 1].contains("implicit deny") && d.basis[i + 1].contains("with no tags")
        );
        judged_exactly(&d, csi);

        // Granted on every volume: one check, as before.
        let everywhere = r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":"ec2:DeleteVolume","Resource":"arn:aws:ec2:*:*:volume/*"}]}"#;
        let d = derived(everywhere, &Extra::default()).unwrap();
        assert_eq!(
            of(&d, "ec2:DeleteVolume"),
            [("the first volume listed".to_owned(), Allow, vec![])]
        );
        // A tag condition beside one the agent cannot settle: conditional, as before.
        let vpc = r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":"ec2:DeleteVolume","Resource":"*","Condition":{
              "StringLike":{"ec2:ResourceTag/owner":"me"},"StringEquals":{"aws:SourceVpc":"vpc-1"}}}]}"#;
        let d = derived(vpc, &Extra::default()).unwrap();
        assert_eq!(
            of(&d, "ec2:DeleteVolume"),
            [(
                "the first volume listed".to_owned(),
                Allow,
                vec![
                    "aws:SourceVpc".to_owned(),
                    "ec2:ResourceTag/owner".to_owned()
                ]
            )]
        );
        // Allowed on all but the protected ones: proven both ways.
        let protect = r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":"ec2:TerminateInstances","Resource":"*"},
            {"Effect":"Deny","Action":"ec2:TerminateInstances","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/protected":"yes"}}}]}"#;
        let d = derived(protect, &Extra::default()).unwrap();
        assert_eq!(
            of(&d, "ec2:TerminateInstances"),
            [
                (
                    "an instance not tagged protected=yes".to_owned(),
                    Allow,
                    vec![]
                ),
                ("an instance tagged protected=yes".to_owned(), Deny, vec![]),
            ]
        );
        // Particular IDs named too: the tagged resource is picked outside them.
        let named = r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":"ec2:TerminateInstances","Resource":"arn:aws:ec2:*:*:instance/*","Condition":{"Null":{"aws:ResourceTag/team":"false"}}},
            {"Effect":"Deny","Action":"ec2:TerminateInstances","Resource":"arn:aws:ec2:*:*:instance/i-0abc"}]}"#;
        let d = derived(named, &Extra::default()).unwrap();
        assert_eq!(
            of(&d, "ec2:TerminateInstances"),
            [
                (
                    "an instance other than i-0abc, tagged team".to_owned(),
                    Allow,
                    vec![]
                ),
                (
                    "an instance other than i-0abc, not tagged team".to_owned(),
                    Deny,
                    vec![]
                ),
                ("instance i-0abc".to_owned(), Deny, vec![]),
            ]
        );
        judged_exactly(&d, named);
    }

    /// A create's tags are the request's for what it creates: a grant on an
    /// existing resource it names (a launch template) conditioned on them
    /// does not cover that resource; one on its own tags does, where tagged.
    /// The Load Balancer Controller tags and untags the security groups it
    /// made (its statement 7): the DryRun names one irsa-verify key, so the
    /// request meets `Null aws:RequestTag/elbv2.k8s.aws/cluster=true` by
    /// construction, and the grant is proven on a group carrying the
    /// cluster tag and refused on one without it. The first rows (a network
    /// interface, a volume) stay deny checks where nothing grants them.
    #[test]
    fn tagging_a_security_group_is_probed_on_one_carrying_the_tag() {
        let lbc = r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":["ec2:CreateTags","ec2:DeleteTags"],"Resource":"arn:aws:ec2:*:*:security-group/*",
             "Condition":{"Null":{"aws:RequestTag/elbv2.k8s.aws/cluster":"true","aws:ResourceTag/elbv2.k8s.aws/cluster":"false"}}}]}"#;
        let d = derived(lbc, &Extra::default()).unwrap();
        use Expect::*;
        for (action, first) in [
            ("ec2:CreateTags", "the first network-interface listed"),
            ("ec2:DeleteTags", "the first volume listed"),
        ] {
            assert_eq!(
                of(&d, action),
                [
                    (first.to_owned(), Deny, vec![]),
                    (
                        "a security-group tagged elbv2.k8s.aws/cluster".to_owned(),
                        Allow,
                        vec![]
                    ),
                    (
                        "a security-group not tagged elbv2.k8s.aws/cluster".to_owned(),
                        Deny,
                        vec![]
                    ),
                ],
                "{action}"
            );
            let on_group: Vec<&Check> = d
                .checks
                .iter()
                .filter(|c| c.action().name() == action && c.label().contains("security-group"))
                .collect();
            for c in on_group {
                assert_eq!(
                    c.action().row().resources,
                    ["arn:{p}:ec2:{r}:{a}:security-group/{id}"],
                    "judged on the group it names"
                );
            }
        }
        judged_exactly(&d, lbc);

        // A request tag the probe does not carry, asked for: no allow.
        let asks = r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":"ec2:CreateTags","Resource":"arn:aws:ec2:*:*:security-group/*",
             "Condition":{"Null":{"aws:RequestTag/elbv2.k8s.aws/cluster":"false"}}}]}"#;
        let d = derived(asks, &Extra::default()).unwrap();
        assert!(
            of(&d, "ec2:CreateTags").iter().all(|(_, e, _)| *e == Deny),
            "{:?}",
            of(&d, "ec2:CreateTags")
        );
        // Granted on network interfaces only (the VPC CNI): no check on a
        // security group, and the first row proves the grant as before.
        let cni = r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":"ec2:CreateTags","Resource":"arn:aws:ec2:*:*:network-interface/*"}]}"#;
        let d = derived(cni, &Extra::default()).unwrap();
        assert_eq!(
            of(&d, "ec2:CreateTags"),
            [(
                "the first network-interface listed".to_owned(),
                Allow,
                vec![]
            )]
        );
        // Granted only when a create tags what it makes: a direct call is not.
        let on_create = r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":"ec2:CreateTags","Resource":"arn:aws:ec2:*:*:security-group/*",
             "Condition":{"StringEquals":{"ec2:CreateAction":"CreateSecurityGroup"}}}]}"#;
        let d = derived(on_create, &Extra::default()).unwrap();
        assert!(
            of(&d, "ec2:CreateTags")
                .iter()
                .all(|(_, e, c)| *e == Deny && c.is_empty()),
            "{:?}",
            of(&d, "ec2:CreateTags")
        );
    }

    /// The EBS CSI driver locks the snapshots it made (its statements 15
    /// and 16): probed on a snapshot carrying either tag, refused on one
    /// carrying neither, as its DeleteSnapshot grant is.
    #[test]
    fn a_snapshot_lock_is_probed_on_a_snapshot_the_driver_tagged() {
        let ebs = r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":["ec2:DeleteSnapshot","ec2:LockSnapshot"],"Resource":"arn:aws:ec2:*:*:snapshot/*",
             "Condition":{"StringLike":{"ec2:ResourceTag/CSIVolumeSnapshotName":"*"}}},
            {"Effect":"Allow","Action":["ec2:DeleteSnapshot","ec2:LockSnapshot"],"Resource":"arn:aws:ec2:*:*:snapshot/*",
             "Condition":{"StringLike":{"ec2:ResourceTag/ebs.csi.aws.com/cluster":"true"}}}]}"#;
        let d = derived(ebs, &Extra::default()).unwrap();
        use Expect::*;
        for action in ["ec2:DeleteSnapshot", "ec2:LockSnapshot"] {
            assert_eq!(
                of(&d, action),
                [
                    (
                        "a snapshot tagged CSIVolumeSnapshotName or ebs.csi.aws.com/cluster=true"
                            .to_owned(),
                        Allow,
                        vec![]
                    ),
                    (
                        "a snapshot not tagged CSIVolumeSnapshotName or ebs.csi.aws.com/cluster=true"
                            .to_owned(),
                        Deny,
                        vec![]
                    ),
                ],
                "{action}"
            );
        }
        judged_exactly(&d, ebs);
    }

    /// Karpenter names the nodes it launched (its statement 5): tags on an
    /// instance carrying its cluster and node pool tags, with only the keys
    /// it lists. The probe's key, karpenter.sh/nodeclaim, is one of them,
    /// and it carries no eks:eks-cluster-name (IfExists holds), so the grant
    /// hangs on the instance's tags; its statement 4 (on create) does not
    /// hold for a direct call.
    #[test]
    fn naming_a_node_is_probed_on_an_instance_carrying_the_tags() {
        let karpenter = r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":"ec2:CreateTags","Resource":["arn:aws:ec2:*:*:instance/*","arn:aws:ec2:*:*:volume/*"],
             "Condition":{"StringEquals":{"aws:RequestTag/kubernetes.io/cluster/c1":"owned","ec2:CreateAction":["RunInstances","CreateFleet"]},
                          "StringLike":{"aws:RequestTag/karpenter.sh/nodepool":"*"}}},
            {"Effect":"Allow","Action":"ec2:CreateTags","Resource":"arn:aws:ec2:*:*:instance/*",
             "Condition":{"StringEquals":{"aws:ResourceTag/kubernetes.io/cluster/c1":"owned"},"StringLike":{"aws:ResourceTag/karpenter.sh/nodepool":"*"},
                          "StringEqualsIfExists":{"aws:RequestTag/eks:eks-cluster-name":"c1"},
                          "ForAllValues:StringEquals":{"aws:TagKeys":["eks:eks-cluster-name","karpenter.sh/nodeclaim","Name"]}}}]}"#;
        let d = derived(karpenter, &Extra::default()).unwrap();
        use Expect::*;
        let on_instances: Vec<(String, Expect, Vec<String>)> = d
            .checks
            .iter()
            .filter(|c| {
                c.action().name() == "ec2:CreateTags"
                    && c.action().row().resources == ["arn:{p}:ec2:{r}:{a}:instance/{id}"]
            })
            .map(|c| (c.label(), c.expect(), c.conditions().to_vec()))
            .collect();
        assert_eq!(
            on_instances,
            [
                (
                    "an instance tagged karpenter.sh/nodepool and kubernetes.io/cluster/c1=owned".to_owned(),
                    Allow,
                    vec![]
                ),
                (
                    "an instance not tagged karpenter.sh/nodepool and kubernetes.io/cluster/c1=owned".to_owned(),
                    Deny,
                    vec![]
                ),
            ]
        );
        judged_exactly(&d, karpenter);
        // A key outside the list: refused on every instance.
        let other_keys = karpenter.replace("karpenter.sh/nodeclaim", "other");
        let d = derived(&other_keys, &Extra::default()).unwrap();
        assert!(d
            .checks
            .iter()
            .filter(|c| c.action().name() == "ec2:CreateTags"
                && c.action().row().resources == ["arn:{p}:ec2:{r}:{a}:instance/{id}"])
            .all(|c| c.expect() == Deny && c.conditions().is_empty()));
    }

    /// ec2:CreateTags granted only on create (the Load Balancer
    /// Controller's statement 6, the EBS CSI driver's statement 6) is
    /// probed as that create carrying tags, judged as the create on its
    /// resources and as ec2:CreateTags with ec2:CreateAction on what it
    /// creates; where the create itself is refused, no check (a denial
    /// could not be told apart).
    #[test]
    fn tagging_on_create_is_probed_as_the_create_carrying_tags() {
        let lbc = r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":"ec2:CreateSecurityGroup","Resource":"*"},
            {"Effect":"Allow","Action":"ec2:CreateTags","Resource":"arn:aws:ec2:*:*:security-group/*",
             "Condition":{"StringEquals":{"ec2:CreateAction":"CreateSecurityGroup"},"Null":{"aws:RequestTag/elbv2.k8s.aws/cluster":"false"}}}]}"#;
        let d = derived(lbc, &Extra::default()).unwrap();
        let on_create: Vec<(&Check, &String)> = d
            .checks
            .iter()
            .zip(&d.basis)
            .filter(|(c, _)| c.action().row().tags_on_create().is_some())
            .collect();
        let [(c, basis)] = on_create.as_slice() else {
            panic!("{:?}", table(&d))
        };
        assert_eq!(
            c.action().row().tags_on_create(),
            Some("CreateSecurityGroup")
        );
        assert_eq!((c.expect(), c.conditions()), (Expect::Allow, &[][..]));
        let keys: Vec<&str> = c.tags().iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["elbv2.k8s.aws/cluster"]);
        assert!(
            basis.contains("ec2:CreateSecurityGroup: allowed by p.json statement 1")
                && basis.contains("allowed by p.json statement 2 (on arn:aws:ec2:eu-west-1:111122223333:security-group/*)"),
            "{basis}"
        );
        // The tag grant without the create: nothing to prove, no check.
        let only_tags = r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":"ec2:CreateTags","Resource":"arn:aws:ec2:*:*:volume/*",
             "Condition":{"StringEquals":{"ec2:CreateAction":["CreateVolume","CreateSnapshot"]}}}]}"#;
        let d = derived(only_tags, &Extra::default()).unwrap();
        assert!(
            d.checks
                .iter()
                .all(|c| c.action().row().tags_on_create().is_none()),
            "{:?}",
            table(&d)
        );
        // With the create granted under a request tag: proven with that tag.
        let ebs = r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":"ec2:CreateVolume","Resource":"arn:aws:ec2:*:*:volume/*","Condition":{"StringLike":{"aws:RequestTag/ebs.csi.aws.com/cluster":"true"}}},
            {"Effect":"Allow","Action":"ec2:CreateTags","Resource":["arn:aws:ec2:*:*:volume/*","arn:aws:ec2:*:*:snapshot/*"],
             "Condition":{"StringEquals":{"ec2:CreateAction":["CreateVolume","CreateSnapshot","CopyVolumes"]}}}]}"#;
        let d = derived(ebs, &Extra::default()).unwrap();
        let on_create: Vec<&Check> = d
            .checks
            .iter()
            .filter(|c| c.action().row().tags_on_create().is_some())
            .collect();
        let [c] = on_create.as_slice() else {
            panic!("{:?}", table(&d))
        };
        assert_eq!(c.action().row().tags_on_create(), Some("CreateVolume"));
        assert_eq!(c.expect(), Expect::Allow);
        assert_eq!(
            c.tags(),
            [("ebs.csi.aws.com/cluster".to_owned(), "true".to_owned())]
        );
        // No tag asked for: one of its own, so that the tagging is authorized.
        let plain = r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":"ec2:CreateVolume","Resource":"*"},
            {"Effect":"Allow","Action":"ec2:CreateTags","Resource":"*","Condition":{"StringEquals":{"ec2:CreateAction":"CreateVolume"}}}]}"#;
        let d = derived(plain, &Extra::default()).unwrap();
        let tags: Vec<&[(String, String)]> = d
            .checks
            .iter()
            .filter(|c| c.action().row().tags_on_create() == Some("CreateVolume"))
            .map(|c| c.tags())
            .collect();
        assert_eq!(
            tags,
            [&[("irsa-verify-probe".to_owned(), "dry-run".to_owned())][..]]
        );
    }

    #[test]
    fn a_create_is_judged_on_the_tags_of_the_existing_resource_it_names() {
        let fleet = r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":"ec2:CreateFleet","Resource":["arn:aws:ec2:*:*:fleet/*","arn:aws:ec2:*:*:instance/*","arn:aws:ec2:*:*:launch-template/*"],
             "Condition":{"StringEquals":{"aws:RequestTag/owner":"karpenter"}}},
            {"Effect":"Allow","Action":"ec2:CreateTags","Resource":"*","Condition":{"StringEquals":{"ec2:CreateAction":"CreateFleet"}}}]}"#;
        let d = derived(fleet, &Extra::default()).unwrap();
        assert_eq!(
            of(&d, "ec2:CreateFleet"),
            [(
                "the first launch-template listed".to_owned(),
                Expect::Deny,
                vec![]
            )],
            "the request's tags are not the launch template's"
        );
        let scoped = r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":"ec2:CreateFleet","Resource":["arn:aws:ec2:*:*:fleet/*","arn:aws:ec2:*:*:instance/*"],
             "Condition":{"StringEquals":{"aws:RequestTag/owner":"karpenter"}}},
            {"Effect":"Allow","Action":"ec2:CreateFleet","Resource":"arn:aws:ec2:*:*:launch-template/*",
             "Condition":{"StringEquals":{"aws:ResourceTag/owner":"karpenter"}}},
            {"Effect":"Allow","Action":"ec2:CreateTags","Resource":"*","Condition":{"StringEquals":{"ec2:CreateAction":"CreateFleet"}}}]}"#;
        let d = derived(scoped, &Extra::default()).unwrap();
        assert_eq!(
            of(&d, "ec2:CreateFleet"),
            [
                (
                    "a launch-template tagged owner=karpenter".to_owned(),
                    Expect::Allow,
                    vec![]
                ),
                (
                    "a launch-template not tagged owner=karpenter".to_owned(),
                    Expect::Deny,
                    vec![]
                ),
            ]
        );
        let c = d
            .checks
            .iter()
            .find(|c| c.action().name() == "ec2:CreateFleet")
            .unwrap();
        assert_eq!(c.tags(), [("owner".to_owned(), "karpenter".to_owned())]);
    }

    /// The published add-on policies (tests/fixtures/addons): none is
    /// refused, and no deny check's resources overlap an Allow of its action.
    #[test]
    fn published_policies_are_judged_exactly() {
        for (name, policy) in [
            (
                "aws-load-balancer-controller",
                include_str!("../../tests/fixtures/addons/aws-load-balancer-controller.json"),
            ),
            (
                "aws-ebs-csi-driver",
                include_str!("../../tests/fixtures/addons/aws-ebs-csi-driver.json"),
            ),
            (
                "cluster-autoscaler",
                include_str!("../../tests/fixtures/addons/cluster-autoscaler.json"),
            ),
            (
                "external-dns",
                include_str!("../../tests/fixtures/addons/external-dns.json"),
            ),
            (
                "external-secrets",
                include_str!("../../tests/fixtures/addons/external-secrets.json"),
            ),
            (
                "cert-manager",
                include_str!("../../tests/fixtures/addons/cert-manager.json"),
            ),
            (
                "amazon-vpc-cni",
                include_str!("../../tests/fixtures/addons/amazon-vpc-cni.json"),
            ),
            (
                "karpenter-controller",
                include_str!("../../tests/fixtures/addons/karpenter-controller.json"),
            ),
        ] {
            let d = derived(policy, &Extra::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(!d.checks.is_empty() || !d.unprobed.is_empty(), "{name}");
            judged_exactly(&d, policy);
        }
    }

    #[test]
    fn a_listed_resource_is_not_probed_where_the_policy_names_particular_ones() {
        let policy = r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":"acm:ListCertificates","Resource":"*"},
            {"Effect":"Allow","Action":"acm:DescribeCertificate","Resource":"arn:aws:acm:eu-west-1:111122223333:certificate/abc"}]}"#;
        let d = derived(policy, &Extra::default()).unwrap();
        assert!(
            !table(&d)
                .iter()
                .any(|(a, _, _)| a == "acm:DescribeCertificate"),
            "{:?}",
            table(&d)
        );
        let u = d
            .unprobed
            .iter()
            .find(|u| u.action == "acm:DescribeCertificate")
            .unwrap();
        assert_eq!(u.why, SkipGroup::NotAttempted);
        assert!(u.reason.contains("certificate/abc"), "{}", u.reason);
    }

    /// A cluster the policy names is probed by its name (Karpenter names
    /// its own); a grant on every cluster, on the first one listed; a
    /// prefix names no cluster to probe.
    #[test]
    fn eks_clusters_named_are_probed_by_name() {
        let policy = r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":"eks:DescribeCluster","Resource":"arn:aws:eks:eu-west-1:111122223333:cluster/prod"}]}"#;
        let d = derived(policy, &Extra::default()).unwrap();
        assert_eq!(
            table(&d),
            [(
                "eks:DescribeCluster".to_owned(),
                "EKS cluster prod (eu-west-1, 111122223333)".to_owned(),
                Expect::Allow
            )]
        );
        judged_exactly(&d, policy);
        for any in [
            r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":["eks:ListClusters","eks:DescribeCluster"],"Resource":"*"}]}"#,
            r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":["eks:DescribeCluster"],"Resource":"arn:aws:eks:*:*:cluster/*"}]}"#,
        ] {
            let d = derived(any, &Extra::default()).unwrap();
            assert!(
                has(
                    &d,
                    "eks:DescribeCluster",
                    "the first EKS cluster listed",
                    Expect::Allow
                ),
                "{:?}",
                table(&d)
            );
        }
        // A bare `*` stands for every zone as it does for every cluster.
        let zones = r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":["route53:GetHostedZone"],"Resource":"*"}]}"#;
        let d = derived(zones, &Extra::default()).unwrap();
        assert!(
            has(
                &d,
                "route53:GetHostedZone",
                "the first hosted zone listed",
                Expect::Allow
            ),
            "{:?}",
            table(&d)
        );
        let prefix = r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":["eks:DescribeCluster"],"Resource":"arn:aws:eks:*:*:cluster/prod-*"}]}"#;
        let d = derived(prefix, &Extra::default()).unwrap();
        assert!(table(&d).is_empty(), "{:?}", table(&d));
        assert!(d
            .unprobed
            .iter()
            .any(|u| u.action == "eks:DescribeCluster" && u.why == SkipGroup::NoResourceNamed));
    }

    /// The load balancer controller's ELBv2 writes: the no-op probes on the
    /// resources found are allow checks judged on an Application Load
    /// Balancer's listener, rule and target group; the made-up ones are
    /// granted, so skipped as deny-only; SetWebAcl has no API.
    #[test]
    fn the_load_balancer_controllers_writes_are_checked_or_skipped_with_why() {
        let policy = include_str!("../../tests/fixtures/addons/aws-load-balancer-controller.json");
        let d = derived(policy, &Extra::default()).unwrap();
        for (action, label) in [
            (
                "elasticloadbalancing:ModifyListener",
                "the first listener listed",
            ),
            (
                "elasticloadbalancing:ModifyRule",
                "the first non-default listener rule listed",
            ),
            (
                "elasticloadbalancing:RemoveTags",
                "the first listener listed, the first non-default listener rule listed",
            ),
            (
                "elasticloadbalancing:AddListenerCertificates",
                "the first listener listed, the first non-default listener certificate listed",
            ),
            (
                "elasticloadbalancing:DeregisterTargets",
                "the first target group of target type instance listed",
            ),
            ("elasticloadbalancing:AddTags", "the first listener listed"),
            (
                "elasticloadbalancing:RemoveListenerCertificates",
                "the first HTTPS listener listed",
            ),
            (
                "elasticloadbalancing:CreateListener",
                "the first load balancer listed",
            ),
            (
                "elasticloadbalancing:SetRulePriorities",
                "the first non-default listener rule listed",
            ),
        ] {
            assert!(
                has(&d, action, label, Expect::Allow),
                "{action}: {:?}",
                table(&d)
            );
            let check = d
                .checks
                .iter()
                .find(|c| c.action().name() == action)
                .unwrap();
            assert!(
                check.conditions().is_empty(),
                "{action}: statement 12/15/16 are unconditional"
            );
        }
        for action in [
            "elasticloadbalancing:RegisterTargets",
            "elasticloadbalancing:CreateRule",
            "elasticloadbalancing:DeleteRule",
        ] {
            let u = d
                .unprobed
                .iter()
                .find(|u| u.action == action)
                .unwrap_or_else(|| panic!("{action}"));
            assert_eq!(u.why, SkipGroup::DenialOnly, "{action}");
        }
        let web_acl = d
            .unprobed
            .iter()
            .find(|u| u.action == "elasticloadbalancing:SetWebAcl")
            .unwrap();
        assert_eq!(web_acl.why, SkipGroup::NeverProbed);
        assert!(
            web_acl.reason.contains("permission-only"),
            "{}",
            web_acl.reason
        );
        // A grant on a Network Load Balancer's listeners only does not cover
        // the Application Load Balancer listener the probe is judged on.
        let net = r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":"elasticloadbalancing:ModifyListener","Resource":"arn:aws:elasticloadbalancing:*:*:listener/net/*/*/*"}]}"#;
        let d = derived(net, &Extra::default()).unwrap();
        assert!(
            has(
                &d,
                "elasticloadbalancing:ModifyListener",
                "the first listener listed",
                Expect::Deny
            ),
            "{:?}",
            table(&d)
        );
        // One named listener: the first one listed may be another, so not probed.
        let one = r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":"elasticloadbalancing:ModifyListener","Resource":"arn:aws:elasticloadbalancing:*:*:listener/app/web/50dc6c495c0c9188/*"}]}"#;
        let d = derived(one, &Extra::default()).unwrap();
        let u = d
            .unprobed
            .iter()
            .find(|u| u.action == "elasticloadbalancing:ModifyListener")
            .unwrap();
        assert_eq!(u.why, SkipGroup::NotAttempted);
        assert!(u.reason.contains("listener/app/web/"), "{}", u.reason);
    }

    /// A pattern names particular resources of a row's template only where
    /// it can share a real ARN with it, segment by segment: a `*` region
    /// does not let a load balancer pattern reach a listener.
    #[test]
    fn patterns_are_compared_with_templates_segment_by_segment() {
        let listener = "arn:aws:elasticloadbalancing:eu-west-1:1:listener/app/*/*/*";
        assert!(!arn_overlap(
            "arn:aws:elasticloadbalancing:*:*:loadbalancer/app/*/*",
            listener
        ));
        assert!(crate::glob::overlap(
            "arn:aws:elasticloadbalancing:*:*:loadbalancer/app/*/*",
            listener
        ));
        assert!(arn_overlap(
            "arn:aws:elasticloadbalancing:*:*:listener/app/web/*",
            listener
        ));
        assert!(!arn_overlap(
            "arn:aws:elasticloadbalancing:*:*:listener/net/*/*/*",
            listener
        ));
        // What is not a whole ARN is compared as text.
        assert!(arn_overlap("*", listener));
        assert!(arn_overlap("arn:aws:elasticloadbalancing:*", listener));
    }

    /// A secret's full ARN replaces only the pattern for that same secret.
    #[test]
    fn only_the_same_secret_is_probed_by_its_arn_instead() {
        let policy = r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":["secretsmanager:DescribeSecret","logs:DescribeLogStreams"],"Resource":[
              "arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/db-AbCdEf",
              "arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/db-backup-??????",
              "arn:aws:secretsmanager:eu-west-1:111122223333:secret:dev/db-??????",
              "arn:aws:secretsmanager:eu-west-1:111122223333:secret:dev/db-backup-*",
              "arn:aws:logs:eu-west-1:111122223333:log-group:prod/db:*"]}]}"#;
        let d = derived(policy, &Extra::default()).unwrap();
        let labels: Vec<String> = table(&d)
            .into_iter()
            .map(|(a, l, _)| format!("{a} {l}"))
            .collect();
        let at = " (eu-west-1, 111122223333)";
        for want in [
            format!("secretsmanager:DescribeSecret secret prod/db-AbCdEf{at}"),
            // Its name less six characters is prod/db, yet it is another secret.
            format!("secretsmanager:DescribeSecret secret prod/db-backup{at}"),
            format!("secretsmanager:DescribeSecret secret dev/db{at}"),
            // Named by patterns only: neither stands for the other.
            format!("secretsmanager:DescribeSecret secret dev/db-backup{at}"),
            // Not a secret at all, though named prod/db.
            format!("logs:DescribeLogStreams log group prod/db{at}"),
            // The attempted delete, of a made-up secret.
            "secretsmanager:DeleteSecret account".to_owned(),
        ] {
            assert!(labels.contains(&want), "{want} in {labels:?}");
        }
        assert_eq!(labels.len(), 6, "{labels:?}");
        // The same secret by a pattern too: one check, on its exact ARN.
        let both = r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":"secretsmanager:DescribeSecret","Resource":[
              "arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/db-??????",
              "arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/db-AbCdEf"]}]}"#;
        let d = derived(both, &Extra::default()).unwrap();
        assert_eq!(
            table(&d),
            [
                (
                    "secretsmanager:DescribeSecret".to_owned(),
                    format!("secret prod/db-AbCdEf{at}"),
                    Expect::Allow
                ),
                (
                    "secretsmanager:DeleteSecret".to_owned(),
                    "account".to_owned(),
                    Expect::Deny
                )
            ]
        );
    }

    #[test]
    fn a_secret_pattern_elsewhere_is_another_secret() {
        // prod/db in another region or account is not the exact one.
        let policy = r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":"secretsmanager:DescribeSecret","Resource":[
              "arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/db-AbCdEf",
              "arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db-??????",
              "arn:aws:secretsmanager:eu-west-1:444455556666:secret:prod/db-??????",
              "arn:aws:secretsmanager:*:*:secret:prod/db-??????"]}]}"#;
        let d = derived(policy, &Extra::default()).unwrap();
        let labels: Vec<String> = table(&d)
            .into_iter()
            .filter(|(a, _, _)| a != "secretsmanager:DeleteSecret")
            .map(|(_, l, _)| l)
            .collect();
        assert_eq!(
            labels,
            [
                "secret prod/db-AbCdEf (eu-west-1, 111122223333)",
                "secret prod/db (us-east-1, 111122223333)",
                "secret prod/db (eu-west-1, 444455556666)",
            ],
            "the region- and account-less pattern is the exact one's"
        );
    }

    #[test]
    fn only_literal_ids_of_the_type_are_probed_exactly() {
        let policy = r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":"ec2:TerminateInstances","Resource":[
              "arn:aws:ec2:*:*:instance/i-0ab*", "arn:aws:ec2:*:*:instance/vol-0123"]}]}"#;
        let d = derived(policy, &Extra::default()).unwrap();
        let labels: Vec<String> = table(&d)
            .into_iter()
            .filter(|(a, _, _)| a == "ec2:TerminateInstances")
            .map(|(_, l, _)| l)
            .collect();
        assert_eq!(labels, ["an instance other than i-0ab*, vol-0123"]);
    }

    #[test]
    fn a_wildcard_lists_what_nothing_probes_and_how_many_more() {
        let few = unprobed_pattern("ssm:GetParameter*", "s").unwrap();
        assert!(
            few.reason
                .contains(": ssm:GetParameterHistory (named by s)"),
            "{}",
            few.reason
        );
        let many = unprobed_pattern("ec2:*", "s").unwrap();
        assert!(many.reason.contains(", ... and "), "{}", many.reason);
        assert!(
            unprobed_pattern("sqs:GetQueue*", "s").is_none(),
            "both probed"
        );
    }

    #[test]
    fn the_first_zone_listed_is_probed_only_where_no_pattern_names_particular_ones() {
        let any = r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":["route53:ListHostedZones","route53:GetHostedZone"],"Resource":["*","arn:aws:route53:::hostedzone/*"]}]}"#;
        let d = derived(any, &Extra::default()).unwrap();
        assert!(
            has(
                &d,
                "route53:GetHostedZone",
                "the first hosted zone listed",
                Expect::Allow
            ),
            "{:?}",
            table(&d)
        );
        // Allowed on every zone but one: the first zone listed may be that one.
        let but_one = r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":["route53:ListHostedZones","route53:GetHostedZone"],"Resource":["*","arn:aws:route53:::hostedzone/*"]},
            {"Effect":"Deny","Action":"route53:GetHostedZone","Resource":"arn:aws:route53:::hostedzone/Z1"}]}"#;
        let d = derived(but_one, &Extra::default()).unwrap();
        assert!(
            has(&d, "route53:GetHostedZone", "hosted zone Z1", Expect::Deny),
            "{:?}",
            table(&d)
        );
        assert!(
            !table(&d)
                .iter()
                .any(|(a, l, _)| a == "route53:GetHostedZone" && l.starts_with("the first")),
            "{:?}",
            table(&d)
        );
        let u = d
            .unprobed
            .iter()
            .find(|u| u.action == "route53:GetHostedZone")
            .unwrap();
        assert_eq!(u.why, SkipGroup::NotAttempted);
        assert!(u.reason.contains("hostedzone/Z1"), "{}", u.reason);
        judged_exactly(&d, but_one);
    }
}
