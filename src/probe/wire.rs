//! Probes through the signed-request path: the catalogue row's request,
//! filled in for one check, sent once, classified by the row's answers.

use std::collections::HashMap;

use super::{random_token, Ctx};
use crate::answer::{Answer, Observation};
use crate::catalogue::{Ec2Id, Found, Kind, Wire, V};
use crate::check::{Check, Expect, IdPick, Place, Target};
use crate::signed::services::Protocol;
use crate::signed::{Body, Request};

use super::lookup::{
    any_zone, ec2_ids, fits, found, found_tagged, found_tagged_note, names_exactly, pick_id,
    pick_tagged, read_attribute, read_same_settings, read_zone_record, tagged_note,
};

/// Why a lookup found nothing to name.
/// What a row's values are filled with for one request.
struct Fill<'a> {
    place: &'a Place,
    name: String,
    token: String,
    ids: HashMap<Ec2Id, String>,
    found: HashMap<Found, String>,
    /// Tags the request carries (EC2 creates).
    tags: Vec<(String, String)>,
    /// The attribute read right before the request: key and value.
    attr: Option<(String, String)>,
    /// The settings of the resource a create copies, read right before.
    same: Vec<(String, String)>,
    /// A record write-back's changes (`{changes}`), read right before.
    record: String,
}

impl Fill<'_> {
    /// The ARN templates' placeholders (crate::resource), then the ones only
    /// requests carry (a zone's domain, an EKS cluster and node group).
    fn template(&self, t: &str) -> String {
        crate::resource::fill(t, &self.values())
            .replace("{uuid}", &uuid(&self.token))
            .replace("{changes}", &self.record)
            .replace(
                "{cluster}",
                self.found
                    .get(&Found::EksCluster)
                    .map_or("", String::as_str),
            )
            .replace(
                "{nodegroup}",
                self.found
                    .get(&Found::EksNodegroup)
                    .map_or("", String::as_str),
            )
            .replace(
                "{file_system}",
                self.found
                    .get(&Found::EfsFileSystem)
                    .map_or("", String::as_str),
            )
            .replace(
                "{change}",
                self.found.get(&Found::Change).map_or("", String::as_str),
            )
    }

    fn values(&self) -> crate::resource::Values<'_> {
        crate::resource::Values {
            partition: &self.place.partition,
            region: &self.place.region,
            account: &self.place.account,
            name: &self.name,
            ids: self.ids.iter().map(|(k, id)| (*k, id.clone())).collect(),
            unknown: crate::resource::Unknown::Any,
            random: &self.token,
        }
    }

    fn text(&self, v: &V) -> String {
        match v {
            V::Lit(s) => (*s).to_owned(),
            V::Num(n) => n.to_string(),
            V::Name => self.name.clone(),
            V::NameThen(s) => format!("{}{}", self.name, self.template(s)),
            V::Random => self.template(crate::catalogue::RANDOM_NAME),
            V::Uuid => uuid(&self.token),
            V::Id(kind) => self
                .ids
                .get(kind)
                .cloned()
                .unwrap_or_else(|| kind.made_up(&self.token)),
            V::MadeUp(t) => self.template(t),
            V::RegionThen(s) => format!("{}{s}", self.place.region),
            V::Raw(t) => self.template(t),
            V::Found(f) => self.found.get(f).cloned().unwrap_or_default(),
            // `send` never builds a write-back without a read: no attribute,
            // no request.
            V::AttrKey(_) => self
                .attr
                .as_ref()
                .map(|(k, _)| k.clone())
                .unwrap_or_default(),
            V::AttrValue(_) => self
                .attr
                .as_ref()
                .map(|(_, v)| v.clone())
                .unwrap_or_default(),
            // Expanded into the settings themselves by `build`.
            V::SameAs(_) => String::new(),
        }
    }

    fn json(&self, v: &V) -> serde_json::Value {
        match v {
            V::Num(n) => serde_json::Value::from(*n),
            V::Raw(t) => serde_json::from_str(&self.template(t)).unwrap_or(serde_json::Value::Null),
            other => serde_json::Value::String(self.text(other)),
        }
    }
}

/// What a create with the same settings answered, if it names another
/// resource than the one copied: that one was created (the copied one was
/// gone by the time of the call). Pure.
fn created_note(answer: &str, c: crate::catalogue::Copied, copied: &str) -> Option<String> {
    let named = super::same_settings::listed(answer, c)
        .into_iter()
        .next()?
        .arn;
    (named != copied).then(|| {
        format!(
            "CREATED: the answer names {named}, not {copied} whose settings were sent: {copied} was gone by the time of the call \
             (the race window), so this created {named}; delete it if nothing owns it"
        )
    })
}

/// A random token in UUID form (Secrets Manager version IDs are UUIDs).
fn uuid(token: &str) -> String {
    let t = format!("{token:0<32}");
    format!(
        "{}-{}-4{}-8{}-{}",
        &t[..8],
        &t[8..12],
        &t[13..16],
        &t[17..20],
        &t[20..32]
    )
}

/// The request a row describes, filled in. Pure.
fn build(w: &Wire, fill: &Fill) -> Request {
    let body = match w.service.protocol {
        Protocol::Ec2Query | Protocol::Query => {
            let mut params: Vec<(String, String)> = w
                .params
                .iter()
                .flat_map(|(k, v)| match v {
                    V::SameAs(_) => fill.same.clone(),
                    _ => vec![((*k).to_owned(), fill.text(v))],
                })
                .collect();
            if w.dry_run {
                params.insert(0, ("DryRun".to_owned(), "true".to_owned()));
            }
            if let (Some(ty), false) = (w.tags_for, fill.tags.is_empty()) {
                params.push(("TagSpecification.1.ResourceType".to_owned(), ty.to_owned()));
                for (i, (k, v)) in fill.tags.iter().enumerate() {
                    params.push((format!("TagSpecification.1.Tag.{}.Key", i + 1), k.clone()));
                    params.push((format!("TagSpecification.1.Tag.{}.Value", i + 1), v.clone()));
                }
            }
            Body::Form(params)
        }
        Protocol::Json10 | Protocol::Json11 => {
            let mut map = serde_json::Map::new();
            for (k, v) in w.params {
                map.insert((*k).to_owned(), fill.json(v));
            }
            if w.dry_run {
                map.insert("DryRun".to_owned(), serde_json::Value::Bool(true));
            }
            Body::Json(serde_json::Value::Object(map))
        }
        Protocol::RestXml | Protocol::RestJson => match w.xml {
            Some(x) => Body::Xml(fill.template(x)),
            // A restJson1 POST carries its body members as a JSON object,
            // `{}` when none is set, as the SDKs send it.
            None if w.service.protocol == Protocol::RestJson && w.method == "POST" => {
                let mut map = serde_json::Map::new();
                for (k, v) in w.params {
                    map.insert((*k).to_owned(), fill.json(v));
                }
                Body::Json(serde_json::Value::Object(map))
            }
            None => Body::Empty,
        },
    };
    Request {
        service: w.service,
        operation: w.op,
        method: w.method,
        path: fill.template(w.path),
        body,
    }
}

/// The request as the report shows it: the operation and its parameters
/// (names, IDs and random tokens only: a probe never sends a secret).
fn describe(request: &Request) -> String {
    let params = match &request.body {
        Body::Form(p) => p
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" "),
        Body::Json(v) => v.to_string(),
        Body::Xml(_) => "with a change batch".to_owned(),
        Body::Empty => String::new(),
    };
    let head = if request.path == "/" {
        request.operation.to_owned()
    } else {
        format!("{} {} {}", request.operation, request.method, request.path)
    };
    if params.is_empty() {
        head
    } else {
        format!("{head} {params}")
    }
}

pub async fn send(ctx: &Ctx, check: &Check, w: &Wire) -> Observation {
    let row = check.action().row();
    // A target the row's other form fits (an AWS public parameter, a
    // secret a policy names by a pattern) takes that form.
    let other = match (check.target(), row.otherwise()) {
        (Target::Named(n), Some(o)) if n.takes(o.on) => Some(o),
        _ => None,
    };
    let other_wire = other.map(|o| Wire {
        params: o.params,
        ..*w
    });
    let w = other_wire.as_ref().unwrap_or(w);
    let allowed = other.map_or(row.allowed, |o| o.allowed);
    let mut notes: Vec<String> = other.iter().map(|o| o.on.note().to_owned()).collect();
    let mut region = None;
    let name = match check.target() {
        Target::Named(n) => {
            if n.account().is_some_and(|a| a != ctx.place.account) {
                return Observation::skipped(format!(
                    "not attempted: the policy names this {} in account {}, not the caller's ({}); cross-account probes of {} are not supported",
                    n.kind.as_str(),
                    n.account().unwrap_or_default(),
                    ctx.place.account,
                    row.service()
                ));
            }
            region = n.region().map(str::to_owned);
            n.request_name().to_owned()
        }
        Target::Any(Kind::Cluster) => match found(ctx, Found::EksCluster).await {
            Ok(cluster) => cluster,
            Err(why) => {
                return Observation::skipped(format!(
                    "not attempted: no EKS cluster to name ({why}); a made-up one would only be \"not found\", which tells nothing. \
                     Name the cluster in a spec (`resource: NAME`) to probe it"
                ))
            }
        },
        Target::Any(Kind::HostedZone) => match any_zone(ctx).await {
            Ok(zone) => zone,
            Err(why) => {
                return Observation::skipped(format!(
                    "not attempted: no hosted zone to name ({why}); a made-up one would only be \"not found\", which tells nothing. \
                     Name the zone in a spec (`resource: ZONE_ID`) to probe it"
                ))
            }
        },
        _ => String::new(),
    };
    let token = random_token();
    let mut ids = HashMap::new();
    let picks = match check.target() {
        Target::Ec2(picks) => picks.as_slice(),
        _ => &[],
    };
    for (_, v) in w.params {
        let V::Id(kind) = v else { continue };
        let pick = picks.iter().find(|(k, _)| k == kind).map(|(_, p)| p);
        let arn_of = |id: &str| {
            let template = row
                .resources
                .iter()
                .find(|t| crate::resource::names(t, *kind))
                .map_or("", |t| *t);
            crate::resource::fill(
                template,
                &crate::resource::Values {
                    partition: &ctx.place.partition,
                    region: &ctx.place.region,
                    account: &ctx.place.account,
                    name: "",
                    ids: vec![(*kind, id.to_owned())],
                    unknown: crate::resource::Unknown::Any,
                    random: crate::resource::STABLE,
                },
            )
        };
        let made_up = kind.made_up(&token);
        // A tagged pick lists those carrying a key it needs first; where
        // none fits (a key spelled in another case, which EC2's filter
        // tells apart and IAM does not), every one listed.
        let narrowed = match pick {
            Some(IdPick::Tagged { tags, .. }) => tags.required_keys(),
            _ => None,
        };
        let listed = match (pick, narrowed) {
            (Some(IdPick::Exact(_)), _) => Ok(Vec::new()),
            (_, Some(keys)) => match ec2_ids(ctx, *kind, keys).await {
                Ok(l) if pick_id(*kind, pick, &l, arn_of, &made_up).is_ok() => Ok(l),
                _ => ec2_ids(ctx, *kind, Vec::new()).await,
            },
            _ => ec2_ids(ctx, *kind, Vec::new()).await,
        };
        if let (Some(IdPick::Tagged { tags, .. }), Err(why)) = (pick, &listed) {
            return Observation::skipped(format!(
                "not attempted: no {ty} {} to name ({why}); the grant's resource-tag conditions are met only on such a {ty}, \
                 and a made-up one has no tags",
                tags.phrase(),
                ty = kind.parts().1
            ));
        }
        match pick_id(
            *kind,
            pick,
            listed.as_deref().unwrap_or(&[]),
            arn_of,
            &made_up,
        ) {
            Ok((id, real)) => {
                if let Some(IdPick::Tagged { tags, .. }) = pick {
                    notes.push(tagged_note(
                        *kind,
                        &id,
                        tags,
                        listed.as_deref().unwrap_or(&[]),
                    ));
                }
                if !real {
                    if let Err(why) = &listed {
                        notes.push(format!(
                            "no real {} to name ({why}): the request names a made-up ID, so a \"not found\" answer cannot tell",
                            kind.parts().1
                        ));
                    } else {
                        notes.push(format!(
                            "every {} listed is named by the policy: the request names a made-up one outside it, so a \"not found\" answer cannot tell",
                            kind.parts().1
                        ));
                    }
                }
                ids.insert(*kind, id);
            }
            Err(why) => return Observation::skipped(format!("not attempted: {why}")),
        }
    }
    let mut reals = HashMap::new();
    let in_path = Found::ALL
        .into_iter()
        .filter(|f| f.placeholder().is_some_and(|p| w.path.contains(p)));
    let in_params = w.params.iter().filter_map(|(_, v)| match v {
        V::Found(kind) => Some(*kind),
        _ => None,
    });
    let mut probed_found = None;
    for kind in in_params.chain(in_path) {
        if let Target::Tagged { kind: k, tags } = check.target() {
            if *k == kind {
                let listed = match found_tagged(ctx, kind).await {
                    Ok(listed) => listed,
                    Err(why) => {
                        return Observation::skipped(format!(
                            "not attempted: no {what} {} to name ({why}); the grant's resource-tag conditions are met only on such a \
                             {what}, and a made-up one has no tags",
                            tags.phrase(),
                            what = kind.as_str(),
                        ))
                    }
                };
                let fit = |arn: &str| fits(row.resources, &ctx.place, arn).is_ok();
                match pick_tagged(kind, tags, &listed, fit) {
                    Ok(arn) => {
                        notes.push(found_tagged_note(kind, &arn, tags, &listed));
                        probed_found = Some(arn.clone());
                        reals.insert(kind, arn);
                        continue;
                    }
                    Err(why) => return Observation::skipped(format!("not attempted: {why}")),
                }
            }
        }
        {
            match found(ctx, kind).await {
                Ok(value) => {
                    notes.extend(kind.found_note(&value));
                    reals.insert(kind, value);
                }
                // A denial is as true of a made-up one, where the row names
                // one; only an allow needs a real one.
                Err(why) if check.expect() == Expect::Deny && kind.made_up().is_some() => {
                    let made_up = kind.made_up().unwrap_or_default();
                    notes.push(format!(
                        "no {} to name ({why}): the request names a made-up one, so a \"not found\" answer cannot tell",
                        kind.as_str()
                    ));
                    reals.insert(
                        kind,
                        made_up.replace("{random16}", token.get(..16).unwrap_or(&token)),
                    );
                }
                Err(why) => {
                    return Observation::skipped(format!(
                        "not attempted: no {} to name ({why}); {}",
                        kind.as_str(),
                        kind.why_real()
                    ))
                }
            }
        }
    }
    for (kind, value) in Found::ALL
        .iter()
        .filter_map(|k| reals.get(k).map(|v| (k, v)))
    {
        if let Err(judged) = fits(row.resources, &ctx.place, value) {
            return Observation::skipped(format!(
                "not attempted: the {} found, {value}, is not of the kind the check is judged on ({judged}): a verdict on it would not be \
                 about what the grant was evaluated for",
                kind.as_str()
            ));
        }
    }
    // A write-back: the attribute read right before, on the resource found.
    let mut attr = None;
    if let Some(a) = w.params.iter().find_map(|(_, v)| match v {
        V::AttrKey(a) | V::AttrValue(a) => Some(*a),
        _ => None,
    }) {
        let Some(arn) = reals.get(&a.found()) else {
            return Observation::skipped(format!(
                "not attempted: no {} to read the attributes of; only a value just read is written back",
                a.found().as_str()
            ));
        };
        match read_attribute(ctx, a, arn).await {
            Ok((key, value)) => {
                notes.push(format!(
                    "writes back {key}={value} as {} listed it for {arn} right before (race window: the one round trip between the two calls)",
                    a.read().0
                ));
                attr = Some((key, value));
            }
            Err(why) => {
                return Observation::skipped(format!(
                    "not attempted: {why}; only a value just read is written back"
                ))
            }
        }
    }
    // A create with the same settings: those of a resource of the one
    // found, read right before.
    let mut same = None;
    if let Some(c) = w.params.iter().find_map(|(_, v)| match v {
        V::SameAs(c) => Some(*c),
        _ => None,
    }) {
        let Some(parent) = reals.get(&c.parent()) else {
            return Observation::skipped(format!(
                "not attempted: no {} to read the settings under; only settings just read are sent back",
                c.parent().as_str()
            ));
        };
        match read_same_settings(ctx, c, parent).await {
            Ok((arn, settings)) => {
                notes.push(format!(
                    "sends back the settings of {arn} as {} listed them right before: a create with the same settings \
                     (race window: the one round trip between the two calls)",
                    c.read().0
                ));
                same = Some((c, arn, settings));
            }
            Err(why) => {
                return Observation::skipped(format!(
                    "not attempted: {why}; only a resource's own settings, just read, are sent back"
                ))
            }
        }
    }
    // A record written back as it is, read right before.
    let mut record = String::new();
    if w.xml.is_some_and(|x| x.contains("{changes}")) {
        match read_zone_record(ctx, &name).await {
            Ok((changes, note)) => {
                notes.push(note);
                record = changes;
            }
            Err(why) => {
                return Observation::skipped(format!(
                    "not attempted: {why}; only a record just read is written back"
                ))
            }
        }
    }
    let place = Place {
        region: region.clone().unwrap_or_else(|| ctx.place.region.clone()),
        ..ctx.place.clone()
    };
    let fill = Fill {
        place: &place,
        name,
        token,
        ids,
        found: reals,
        tags: check.tags().to_vec(),
        attr,
        same: same
            .as_ref()
            .map(|(_, _, settings)| settings.clone())
            .unwrap_or_default(),
        record,
    };
    let request = build(w, &fill);
    let form = describe(&request);
    let answer = match ctx.send(&request, region.as_deref()).await {
        // The body is dropped unread: it may hold a value or a credential.
        // Only a create with the same settings has its ARN read: another
        // than the one copied means one was created.
        Ok(reply) => {
            if let Some(note) = same
                .as_ref()
                .and_then(|(c, arn, _)| created_note(reply.text(), *c, arn))
            {
                notes.push(note);
            }
            Answer::success(reply.status, "")
        }
        Err(answer) => answer,
    };
    let mut observation = Observation::new(answer, allowed, form);
    observation.notes.extend(notes);
    if let Some(o) = other.filter(|o| o.resources.iter().any(|t| t.contains("{random"))) {
        // A made-up resource of the form sent, with the random part it
        // was named by (its judged ARN has zeros there): the report shows
        // it.
        observation.probed = Some(
            o.resources
                .iter()
                .map(|t| crate::resource::fill(t, &fill.values()))
                .collect(),
        );
    }
    if let Some(arn) = probed_found {
        // The one resource the request is authorized on
        // (`Row::found_by_tags`), exactly: the report shows it.
        observation.probed = Some(vec![arn]);
    }
    if observation.probed.is_none() && !fill.found.is_empty() {
        // The resources found, exactly, where the row is authorized on
        // them: the report shows the load balancer, listener or rule the
        // request named, not the pattern its expectation covers.
        // A resource found by its ID (a file system, a change) where it is
        // the one ID found: its ARN is the row's with that ID.
        let ids: Vec<&String> = fill
            .found
            .values()
            .filter(|f| !f.starts_with("arn:"))
            .collect();
        let exact: Vec<String> = check
            .target()
            .resources(row, &ctx.place)
            .into_iter()
            .zip(row.resources)
            .map(|(pattern, template)| match ids.as_slice() {
                [id] if template.matches("{id}").count() == 1
                    && crate::resource::ec2_slots(&[template]).is_empty() =>
                {
                    crate::resource::fill(
                        &template.replace("{id}", id),
                        &crate::resource::Values {
                            random: crate::resource::STABLE,
                            ..fill.values()
                        },
                    )
                }
                _ => fill
                    .found
                    .values()
                    .find(|f| names_exactly(&pattern, f))
                    .cloned()
                    .unwrap_or(pattern),
            })
            .collect();
        observation.probed = Some(exact);
    }
    if !fill.ids.is_empty() {
        // The exact resources this request named: the report shows them.
        let values = crate::resource::Values {
            random: crate::resource::STABLE,
            ..fill.values()
        };
        observation.probed = Some(
            row.resources
                .iter()
                .map(|t| crate::resource::fill(t, &values))
                .collect(),
        );
    }
    observation
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::ROWS;

    fn wire(action: &str) -> &'static Wire {
        match &ROWS[crate::catalogue::find(action).unwrap()].probe {
            crate::catalogue::Probe::Wire(w) => w,
            _ => panic!("{action} is an SDK probe"),
        }
    }

    fn fill<'a>(place: &'a Place, name: &str) -> Fill<'a> {
        Fill {
            place,
            name: name.into(),
            token: "0123456789abcdef0123456789abcdef".into(),
            ids: HashMap::new(),
            found: HashMap::new(),
            tags: Vec::new(),
            attr: None,
            same: Vec::new(),
            record: String::new(),
        }
    }

    /// GetParameter names a real parameter at a version that does not
    /// exist; an AWS public parameter is read as it is.
    #[test]
    fn get_parameter_reads_only_a_public_parameter_as_it_is() {
        let p = Place::example();
        let row = &ROWS[crate::catalogue::find("ssm:GetParameter").unwrap()];
        let name = crate::catalogue::PUBLIC_PARAMETER;
        let Body::Json(v) = build(wire("ssm:GetParameter"), &fill(&p, "/app/db")).body else {
            panic!("json")
        };
        assert_eq!(v["Name"], "/app/db:999999");
        let public = Wire {
            params: row.otherwise().expect("a public form").params,
            ..*wire("ssm:GetParameter")
        };
        let Body::Json(v) = build(&public, &fill(&p, name)).body else {
            panic!("json")
        };
        assert_eq!(v["Name"], name);
        assert_eq!(v.as_object().map(|o| o.len()), Some(1), "{v}");
    }

    /// On a secret a policy names by a pattern, GetSecretValue names a
    /// made-up secret of that name by its full ARN, and no version.
    #[test]
    fn get_secret_value_names_a_made_up_secret_of_a_patterns_name() {
        let p = Place::example();
        let row = &ROWS[crate::catalogue::find("secretsmanager:GetSecretValue").unwrap()];
        let other = Wire {
            params: row.otherwise().expect("another form").params,
            ..*wire("secretsmanager:GetSecretValue")
        };
        let Body::Json(v) = build(&other, &fill(&p, "dev")).body else {
            panic!("json")
        };
        assert_eq!(
            v["SecretId"],
            format!(
                "arn:aws:secretsmanager:{}:{}:secret:dev-012345",
                p.region, p.account
            )
        );
        assert_eq!(v.as_object().map(|o| o.len()), Some(1), "{v}");
        // The row's own form: the real secret, a random version.
        let Body::Json(v) = build(wire("secretsmanager:GetSecretValue"), &fill(&p, "dev")).body
        else {
            panic!("json")
        };
        assert_eq!(v["SecretId"], "dev");
        assert!(v["VersionId"].is_string(), "{v}");
    }

    #[test]
    fn ec2_requests_carry_dry_run_and_every_id() {
        let p = Place::example();
        let mut f = fill(&p, "");
        f.ids.insert(Ec2Id::Volume, "vol-0aaaaaaaaaaaaaaaa".into());
        let r = build(wire("ec2:AttachVolume"), &f);
        let Body::Form(params) = &r.body else {
            panic!("form")
        };
        assert_eq!(params[0], ("DryRun".into(), "true".into()));
        assert!(params.contains(&("VolumeId".into(), "vol-0aaaaaaaaaaaaaaaa".into())));
        // No instance found: a well-formed made-up one.
        assert!(params.contains(&("InstanceId".into(), "i-00123456789abcdef".into())));
        assert_eq!(r.operation, "AttachVolume");
    }

    #[test]
    fn ec2_creates_carry_the_tags_their_grants_ask_for() {
        let p = Place::example();
        let mut f = fill(&p, "");
        f.tags = vec![
            ("ebs.csi.aws.com/cluster".into(), "true".into()),
            ("CSIVolumeName".into(), "irsa-verify".into()),
        ];
        let Body::Form(params) = build(wire("ec2:CreateVolume"), &f).body else {
            panic!("form")
        };
        for pair in [
            ("TagSpecification.1.ResourceType", "volume"),
            ("TagSpecification.1.Tag.1.Key", "ebs.csi.aws.com/cluster"),
            ("TagSpecification.1.Tag.1.Value", "true"),
            ("TagSpecification.1.Tag.2.Key", "CSIVolumeName"),
        ] {
            assert!(
                params.contains(&(pair.0.to_owned(), pair.1.to_owned())),
                "{pair:?} in {params:?}"
            );
        }
        let Body::Form(untagged) = build(wire("ec2:CreateVolume"), &fill(&p, "")).body else {
            panic!("form")
        };
        assert!(
            !untagged
                .iter()
                .any(|(k, _)| k.starts_with("TagSpecification")),
            "no tags, no TagSpecification"
        );
    }

    #[test]
    fn json_requests_fill_names_numbers_and_raw_values() {
        let p = Place::example();
        let r = build(wire("secretsmanager:GetSecretValue"), &fill(&p, "dev-db"));
        let Body::Json(v) = &r.body else {
            panic!("json")
        };
        assert_eq!(v["SecretId"], "dev-db");
        let version = v["VersionId"].as_str().unwrap();
        assert_eq!(version.len(), 36, "{version}");
        let r = build(wire("ssm:GetParameters"), &fill(&p, "/app/db"));
        let Body::Json(v) = &r.body else {
            panic!("json")
        };
        assert_eq!(v["Names"][0], "/app/db:999999");
        let r = build(wire("kms:Encrypt"), &fill(&p, "k-1"));
        let Body::Json(v) = &r.body else {
            panic!("json")
        };
        assert_eq!(v["DryRun"], true);
        let r = build(wire("ssm:GetParametersByPath"), &fill(&p, "/app"));
        let Body::Json(v) = &r.body else {
            panic!("json")
        };
        // The path the grant is for, as the workload calls it, and a label
        // no parameter carries.
        assert_eq!(v["Path"], "/app");
        assert_eq!(
            v["ParameterFilters"][0]["Values"][0],
            "irsa-verify-probe-0123456789abcdef0123456789abcdef"
        );
        assert_eq!(v["ParameterFilters"][0]["Key"], "Label");
        assert_eq!(v["WithDecryption"], false);
        let r = build(wire("secretsmanager:BatchGetSecretValue"), &fill(&p, ""));
        let Body::Json(v) = &r.body else {
            panic!("json")
        };
        assert!(
            v.get("Filters").is_none(),
            "Filters would need ListSecrets too"
        );
        assert_eq!(
            v["SecretIdList"][0],
            "irsa-verify-probe-0123456789abcdef0123456789abcdef"
        );
    }

    #[test]
    fn rest_paths_and_made_up_arns() {
        let p = Place::example();
        let r = build(wire("route53:ListResourceRecordSets"), &fill(&p, "Z1"));
        assert_eq!(
            (r.method, r.path.as_str()),
            ("GET", "/2013-04-01/hostedzone/Z1/rrset?maxitems=1")
        );
        let r = build(
            wire("elasticloadbalancing:DeleteLoadBalancer"),
            &fill(&p, ""),
        );
        let Body::Form(params) = &r.body else {
            panic!("form")
        };
        assert_eq!(params[0].1, "arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/app/irsa-verify-probe/0123456789abcdef");
    }

    /// X-Ray's reads are restJson1 POSTs with a `{}` body; EFS's mount
    /// targets are read on the file system found; Route 53's GetChange on a
    /// made-up change ID.
    #[test]
    fn rest_json_posts_efs_mount_targets_and_a_change() {
        let p = Place::example();
        let r = build(wire("xray:GetSamplingRules"), &fill(&p, ""));
        assert_eq!((r.method, r.path.as_str()), ("POST", "/GetSamplingRules"));
        assert!(
            matches!(&r.body, Body::Json(v) if v == &serde_json::json!({})),
            "{:?}",
            r.body
        );
        let r = build(wire("xray:GetSamplingStatisticSummaries"), &fill(&p, ""));
        assert_eq!(r.path, "/SamplingStatisticSummaries");
        let mut f = fill(&p, "");
        f.found
            .insert(Found::EfsFileSystem, "fs-0123456789abcdef0".into());
        let r = build(wire("elasticfilesystem:DescribeMountTargets"), &f);
        assert_eq!(
            (r.method, r.path.as_str()),
            (
                "GET",
                "/2015-02-01/mount-targets?FileSystemId=fs-0123456789abcdef0"
            )
        );
        assert_eq!(r.body, Body::Empty);
        // The change made right before (or, for a deny check where none
        // could be made, a made-up ID: Found::made_up).
        let mut f = fill(&p, "");
        f.found
            .insert(Found::Change, "C0123456789ABCDEFGHIJ".into());
        let r = build(wire("route53:GetChange"), &f);
        assert_eq!(
            (r.method, r.path.as_str()),
            ("GET", "/2013-04-01/change/C0123456789ABCDEFGHIJ")
        );
    }

    /// The changes read right before, sent in the batch and nothing else.
    #[test]
    fn a_record_write_back_sends_the_changes_read_as_they_are() {
        let p = Place::example();
        let mut f = fill(&p, "Z1");
        let set = "<ResourceRecordSet><Name>_x.example.com.</Name><Type>TXT</Type><TTL>60</TTL>\
                   <ResourceRecords><ResourceRecord><Value>\"v\"</Value></ResourceRecord></ResourceRecords></ResourceRecordSet>";
        f.record = format!(
            "<Change><Action>DELETE</Action>{set}</Change><Change><Action>CREATE</Action>{set}</Change>"
        );
        let r = build(wire("route53:ChangeResourceRecordSets"), &f);
        assert_eq!(
            (r.method, r.path.as_str()),
            ("POST", "/2013-04-01/hostedzone/Z1/rrset/")
        );
        let Body::Xml(x) = &r.body else { panic!("xml") };
        assert!(
            x.contains(&format!("<Changes>{}</Changes>", f.record)),
            "{x}"
        );
        assert_eq!(x.matches("<Change>").count(), 2, "{x}");
    }

    #[test]
    fn elbv2_writes_name_the_resources_found_and_nothing_else() {
        let p = Place::example();
        let listener = "arn:aws:elasticloadbalancing:eu-west-1:111122223333:listener/app/lb/50dc6c495c0c9188/f2f7dc8efc522ab2";
        let rule = "arn:aws:elasticloadbalancing:eu-west-1:111122223333:listener-rule/app/lb/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee";
        let cert = "arn:aws:iam::111122223333:server-certificate/sni";
        let tg =
            "arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/tg/73e2d6bc24d8a067";
        let mut f = fill(&p, "");
        f.found.insert(Found::Listener, listener.into());
        f.found.insert(Found::Rule, rule.into());
        f.found.insert(Found::ListenerCertificate, cert.into());
        f.found.insert(Found::InstanceTargetGroup, tg.into());
        let params = |action: &str| match build(wire(action), &f).body {
            Body::Form(p) => p,
            _ => panic!("form"),
        };
        let pair = |k: &str, v: &str| (k.to_owned(), v.to_owned());
        assert_eq!(
            params("elasticloadbalancing:ModifyListener"),
            [pair("ListenerArn", listener)],
            "no property: nothing is replaced"
        );
        assert_eq!(
            params("elasticloadbalancing:ModifyRule"),
            [pair("RuleArn", rule)]
        );
        assert_eq!(
            params("elasticloadbalancing:RemoveTags"),
            [
                pair("ResourceArns.member.1", listener),
                pair("ResourceArns.member.2", rule),
                pair(
                    "TagKeys.member.1",
                    "irsa-verify-probe-0123456789abcdef0123456789abcdef"
                ),
            ]
        );
        assert_eq!(
            params("elasticloadbalancing:AddListenerCertificates"),
            [
                pair("ListenerArn", listener),
                pair("Certificates.member.1.CertificateArn", cert)
            ]
        );
        assert_eq!(
            params("elasticloadbalancing:DeregisterTargets"),
            [
                pair("TargetGroupArn", tg),
                pair("Targets.member.1.Id", "i-00123456789abcdef")
            ]
        );
        // One tag the listener carries, written back with the value read.
        f.attr = Some(("ingress.k8s.aws/stack".into(), "team-a/web".into()));
        let params = |action: &str| match build(wire(action), &f).body {
            Body::Form(p) => p,
            _ => panic!("form"),
        };
        assert_eq!(
            params("elasticloadbalancing:AddTags"),
            [
                pair("ResourceArns.member.1", listener),
                pair("Tags.member.1.Key", "ingress.k8s.aws/stack"),
                pair("Tags.member.1.Value", "team-a/web"),
            ]
        );
        // A certificate no listener holds, off the HTTPS listener found.
        let https = "arn:aws:elasticloadbalancing:eu-west-1:111122223333:listener/app/lb/50dc6c495c0c9188/0000000000000443";
        f.found.insert(Found::HttpsListener, https.into());
        let params = |action: &str| match build(wire(action), &f).body {
            Body::Form(p) => p,
            _ => panic!("form"),
        };
        assert_eq!(
            params("elasticloadbalancing:RemoveListenerCertificates"),
            [
                pair("ListenerArn", https),
                pair(
                    "Certificates.member.1.CertificateArn",
                    "arn:aws:acm:eu-west-1:111122223333:certificate/01234567-89ab-4def-8123-456789abcdef"
                )
            ]
        );
        // A create with the same settings: the load balancer found, then
        // every setting of its listener as read, and nothing else.
        let lb = "arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/app/lb/50dc6c495c0c9188";
        f.found.insert(Found::LoadBalancer, lb.into());
        f.same = vec![
            pair("Port", "80"),
            pair("Protocol", "HTTP"),
            pair("DefaultActions.member.1.Type", "forward"),
            pair("DefaultActions.member.1.TargetGroupArn", tg),
        ];
        let params = |action: &str| match build(wire(action), &f).body {
            Body::Form(p) => p,
            _ => panic!("form"),
        };
        let mut want = vec![pair("LoadBalancerArn", lb)];
        want.extend(f.same.clone());
        assert_eq!(params("elasticloadbalancing:CreateListener"), want);
        // The deny-only ones name made-up resources only.
        for action in [
            "elasticloadbalancing:RegisterTargets",
            "elasticloadbalancing:CreateRule",
            "elasticloadbalancing:DeleteRule",
        ] {
            let ps = params(action);
            assert!(
                ps.iter()
                    .all(|(_, v)| ![listener, rule, cert, tg].contains(&v.as_str())),
                "{action}: {ps:?}"
            );
            assert!(
                ps.iter().any(|(_, v)| v.contains("irsa-verify-probe")),
                "{action}: {ps:?}"
            );
        }

        // A rule's priority, written back as read.
        f.attr = Some(("Priority".into(), "10".into()));
        assert_eq!(
            build(wire("elasticloadbalancing:SetRulePriorities"), &f).body,
            Body::Form(vec![
                pair("RulePriorities.member.1.RuleArn", rule),
                pair("RulePriorities.member.1.Priority", "10"),
            ])
        );
    }

    /// A create with the same settings that names the resource copied
    /// created nothing; one naming another created that one, and says so.
    #[test]
    fn a_create_with_the_same_settings_that_names_another_resource_says_it_created_it() {
        let answer = |arn: &str| {
            format!(
                "<CreateListenerResponse><CreateListenerResult><Listeners><member><ListenerArn>{arn}</ListenerArn>\
                 <Port>80</Port></member></Listeners></CreateListenerResult></CreateListenerResponse>"
            )
        };
        let c = crate::catalogue::Copied::Listener;
        assert_eq!(created_note(&answer("arn:l/1"), c, "arn:l/1"), None);
        let note = created_note(&answer("arn:l/2"), c, "arn:l/1").expect("a note");
        assert!(
            note.starts_with("CREATED: the answer names arn:l/2, not arn:l/1"),
            "{note}"
        );
        assert!(note.contains("delete it"), "{note}");
        // An answer that names none tells nothing either way.
        assert_eq!(created_note("", c, "arn:l/1"), None);
    }

    /// A write-back's request carries the key and value read, as read.
    #[test]
    fn a_write_back_names_one_key_read_with_its_value_as_read() {
        // Built into the request as read.
        let p = Place::example();
        let mut f = fill(&p, "");
        f.found.insert(
            Found::LoadBalancer,
            "arn:aws:elasticloadbalancing:eu-west-1:1:loadbalancer/app/a/1".into(),
        );
        f.attr = Some(("deletion_protection.enabled".into(), "true".into()));
        let Body::Form(params) = build(
            wire("elasticloadbalancing:ModifyLoadBalancerAttributes"),
            &f,
        )
        .body
        else {
            panic!("form")
        };
        assert_eq!(
            params,
            [
                (
                    "LoadBalancerArn".to_owned(),
                    "arn:aws:elasticloadbalancing:eu-west-1:1:loadbalancer/app/a/1".to_owned()
                ),
                (
                    "Attributes.member.1.Key".to_owned(),
                    "deletion_protection.enabled".to_owned()
                ),
                ("Attributes.member.1.Value".to_owned(), "true".to_owned()),
            ]
        );
    }
}
