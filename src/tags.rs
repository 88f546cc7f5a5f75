//! Resource tags: what a check requires of the tags of the EC2 or Elastic
//! Load Balancing resource its probe names (the grant's `aws:ResourceTag/K`
//! and `ec2:ResourceTag/K` conditions, as typed data), and the tags an EC2
//! Describe or an ELBv2 DescribeTags lists for each resource. Pure.

use aws_smithy_xml::decode::{try_data, Document, ScopedDecoder};

/// A resource's tags: (key, value) pairs as the service lists them.
pub type Tags = Vec<(String, String)>;

/// One condition on a resource's tag, as IAM evaluates
/// `aws:ResourceTag/K` and `ec2:ResourceTag/K`: the tag's key is matched
/// case-insensitively, its value case-sensitively.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct TagTest {
    pub key: String,
    pub op: TagOp,
    /// `StringEqualsIfExists`, `StringLikeIfExists`: also holds when the
    /// resource lacks the tag.
    pub if_exists: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum TagOp {
    /// `StringEquals`: the value is one of these.
    Equals(Vec<String>),
    /// `StringLike`: the value matches one of these patterns (`*`, `?`).
    Like(Vec<String>),
    /// `Null`: `true` holds when the tag is absent, `false` when present.
    Null(bool),
}

impl TagTest {
    /// The IAM operator it is written with (`StringLikeIfExists`, `Null`).
    pub fn operator(&self) -> String {
        let op = match self.op {
            TagOp::Equals(_) => "StringEquals",
            TagOp::Like(_) => "StringLike",
            TagOp::Null(_) => "Null",
        };
        if self.if_exists && !matches!(self.op, TagOp::Null(_)) {
            format!("{op}IfExists")
        } else {
            op.to_owned()
        }
    }

    /// A test from an IAM operator and its values; None for an operator
    /// not played here.
    pub fn from_operator(operator: &str, key: &str, values: &[String]) -> Option<TagTest> {
        if key.is_empty() || key.contains(['*', '?', '$']) || values.is_empty() {
            return None;
        }
        let (op, if_exists) = match operator.strip_suffix("IfExists") {
            Some(op) => (op, true),
            None => (operator, false),
        };
        let op = match op {
            "StringEquals" => TagOp::Equals(values.to_vec()),
            "StringLike" => TagOp::Like(values.to_vec()),
            "Null" if !if_exists => match values {
                [v] if v.eq_ignore_ascii_case("true") => TagOp::Null(true),
                [v] if v.eq_ignore_ascii_case("false") => TagOp::Null(false),
                _ => return None,
            },
            _ => return None,
        };
        Some(TagTest {
            key: key.to_owned(),
            op,
            if_exists,
        })
    }

    /// Does it hold for a tag with this value (None: the tag is absent)?
    pub fn holds(&self, value: Option<&str>) -> bool {
        match (&self.op, value) {
            (TagOp::Null(absent), v) => v.is_none() == *absent,
            (_, None) => self.if_exists,
            (TagOp::Equals(values), Some(v)) => values.iter().any(|w| w == v),
            (TagOp::Like(patterns), Some(v)) => {
                patterns.iter().any(|p| crate::glob::wildcard(p, v, false))
            }
        }
    }

    /// As a label says it: `K=v`, `K=v1|v2`, `K` (present, any value),
    /// `no K`, with ` if set` for the IfExists forms.
    fn phrase(&self) -> String {
        let values = |v: &[String]| {
            if v.iter().any(|x| x == "*") {
                self.key.clone()
            } else {
                format!("{}={}", self.key, v.join("|"))
            }
        };
        let text = match &self.op {
            TagOp::Equals(v) => format!("{}={}", self.key, v.join("|")),
            TagOp::Like(v) => values(v),
            TagOp::Null(false) => self.key.clone(),
            TagOp::Null(true) => format!("no {}", self.key),
        };
        if self.if_exists {
            format!("{text} if set")
        } else {
            text
        }
    }
}

/// What a resource's tags must be for a check's expectation to hold: every
/// test of at least one `any_of` group (no group: nothing asked), and not
/// every test of any `none_of` group.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TagRequirement {
    any_of: Vec<Vec<TagTest>>,
    none_of: Vec<Vec<TagTest>>,
}

/// The value of a tag, keys compared case-insensitively; Err when the
/// resource carries the key in two spellings (which one IAM reads is not
/// documented).
fn value_of<'a>(tags: &'a [(String, String)], key: &str) -> Result<Option<&'a str>, ()> {
    let mut found = tags.iter().filter(|(k, _)| k.eq_ignore_ascii_case(key));
    match (found.next(), found.next()) {
        (Some(_), Some(_)) => Err(()),
        (one, _) => Ok(one.map(|(_, v)| v.as_str())),
    }
}

fn normal(groups: Vec<Vec<TagTest>>) -> Vec<Vec<TagTest>> {
    let mut groups: Vec<Vec<TagTest>> = groups
        .into_iter()
        .map(|mut g| {
            g.sort();
            g.dedup();
            g
        })
        .collect();
    let mut seen = Vec::new();
    groups.retain(|g| {
        let new = !seen.contains(g);
        seen.push(g.clone());
        new
    });
    groups
}

impl TagRequirement {
    /// Tests in a stable order within each group, each group once, so the
    /// same requirement reads and labels the same however it was written.
    pub fn new(any_of: Vec<Vec<TagTest>>, none_of: Vec<Vec<TagTest>>) -> Self {
        TagRequirement {
            any_of: normal(any_of),
            none_of: normal(none_of),
        }
    }

    pub fn any_of(&self) -> &[Vec<TagTest>] {
        &self.any_of
    }

    pub fn none_of(&self) -> &[Vec<TagTest>] {
        &self.none_of
    }

    /// Some(meets it), or None when a tag it tests is on the resource in
    /// two spellings of its key.
    pub fn satisfied_by(&self, tags: &[(String, String)]) -> Option<bool> {
        let group = |g: &[TagTest]| -> Option<bool> {
            let mut all = true;
            for t in g {
                all &= t.holds(value_of(tags, &t.key).ok()?);
            }
            Some(all)
        };
        let mut any = self.any_of.is_empty();
        for g in &self.any_of {
            any |= group(g)?;
        }
        let mut none = true;
        for g in &self.none_of {
            none &= !group(g)?;
        }
        Some(any && none)
    }

    /// Keys of which every tag set meeting it carries at least one: from
    /// each `any_of` group, the key of its first test an absent tag fails.
    /// None when there is no such set (no group, or a group an untagged
    /// resource can meet). What a listing may be narrowed to.
    pub fn required_keys(&self) -> Option<Vec<String>> {
        if self.any_of.is_empty() {
            return None;
        }
        let mut keys: Vec<String> = Vec::new();
        for g in &self.any_of {
            let key = &g.iter().find(|t| !t.holds(None))?.key;
            if !keys.contains(key) {
                keys.push(key.clone());
            }
        }
        Some(keys)
    }

    /// The tag keys it tests, each once, in order.
    pub fn keys(&self) -> Vec<&str> {
        let mut keys: Vec<&str> = Vec::new();
        for t in self.any_of.iter().chain(&self.none_of).flatten() {
            if !keys.iter().any(|k| k.eq_ignore_ascii_case(&t.key)) {
                keys.push(&t.key);
            }
        }
        keys
    }

    /// How a label says it: `tagged A=1 or (B and C=2)`, `not tagged D`.
    pub fn phrase(&self) -> String {
        let groups = |gs: &[Vec<TagTest>]| {
            gs.iter()
                .map(|g| {
                    let text = g
                        .iter()
                        .map(TagTest::phrase)
                        .collect::<Vec<_>>()
                        .join(" and ");
                    if g.len() > 1 && gs.len() > 1 {
                        format!("({text})")
                    } else {
                        text
                    }
                })
                .collect::<Vec<_>>()
                .join(" or ")
        };
        let mut parts = Vec::new();
        if !self.any_of.is_empty() {
            parts.push(format!("tagged {}", groups(&self.any_of)));
        }
        if !self.none_of.is_empty() {
            parts.push(format!("not tagged {}", groups(&self.none_of)));
        }
        parts.join(", ")
    }

    /// A tag set that meets it, if one is easily made: for one `any_of`
    /// group, each key given a value every test on it accepts (the first
    /// value or pattern it names, `*` as `irsa-verify`), keys only tested
    /// for absence or IfExists left out. What an expectation is judged on.
    pub fn witness(&self) -> Option<Tags> {
        let empty = Vec::new();
        let groups: Vec<&Vec<TagTest>> = if self.any_of.is_empty() {
            vec![&empty]
        } else {
            self.any_of.iter().collect()
        };
        groups.into_iter().find_map(|g| {
            let mut tags = group_witness(g)?;
            for none in &self.none_of {
                if none
                    .iter()
                    .all(|t| t.holds(value_of(&tags, &t.key).ok().flatten()))
                {
                    break_group(none, g, &mut tags);
                }
            }
            (self.satisfied_by(&tags) == Some(true)).then_some(tags)
        })
    }
}

/// Makes one test of `group` fail on `tags`, on a key `fixed` leaves free:
/// the tag removed, or given a value none of its patterns is likely to name.
fn break_group(group: &[TagTest], fixed: &[TagTest], tags: &mut Tags) {
    for t in group {
        if fixed.iter().any(|f| f.key.eq_ignore_ascii_case(&t.key)) {
            continue;
        }
        let without: Tags = tags
            .iter()
            .filter(|(k, _)| !k.eq_ignore_ascii_case(&t.key))
            .cloned()
            .collect();
        let mut with = without.clone();
        with.push((t.key.clone(), "irsa-verify-other".to_owned()));
        for candidate in [without, with] {
            if !t.holds(value_of(&candidate, &t.key).ok().flatten()) {
                *tags = candidate;
                return;
            }
        }
    }
}

fn group_witness(group: &[TagTest]) -> Option<Tags> {
    let mut tags: Tags = Vec::new();
    for t in group {
        if tags.iter().any(|(k, _)| k.eq_ignore_ascii_case(&t.key)) {
            continue;
        }
        let on_key: Vec<&TagTest> = group
            .iter()
            .filter(|u| u.key.eq_ignore_ascii_case(&t.key))
            .collect();
        if on_key.iter().all(|u| u.holds(None)) {
            continue;
        }
        let filled = |p: &str| p.replace('*', "irsa-verify").replace('?', "x");
        let candidates: Vec<String> = on_key
            .iter()
            .flat_map(|u| match &u.op {
                TagOp::Equals(v) => v.clone(),
                TagOp::Like(v) => v.iter().map(|p| filled(p)).collect(),
                TagOp::Null(_) => vec!["irsa-verify".to_owned()],
            })
            .collect();
        let value = candidates
            .into_iter()
            .find(|c| on_key.iter().all(|u| u.holds(Some(c))))?;
        tags.push((t.key.clone(), value));
    }
    Some(tags)
}

/// An EC2 ID a Describe lists, with the tags its own item carries: None
/// where the ID is not its item's own (an ID only named inside another
/// resource's item), so its tags were not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub id: String,
    pub tags: Option<Tags>,
}

/// The IDs listed, each with the tags of the `<item>` whose own
/// `<element>` it is, read from that item's `<tagSet>` (none: no tags, as
/// EC2 leaves out an empty set). Pure.
pub fn with_tags(ids: Vec<String>, xml: &str, element: &str) -> Vec<Listed> {
    let mut items: Vec<(String, Tags)> = Vec::new();
    let mut doc = Document::new(xml);
    if let Ok(mut root) = doc.root_element() {
        walk(&mut root, element, &mut items);
    }
    ids.into_iter()
        .map(|id| {
            let tags =
                items
                    .iter()
                    .filter(|(i, _)| *i == id)
                    .fold(None, |acc: Option<Tags>, (_, t)| {
                        let mut all = acc.unwrap_or_default();
                        for pair in t {
                            if !all.contains(pair) {
                                all.push(pair.clone());
                            }
                        }
                        Some(all)
                    });
            Listed { id, tags }
        })
        .collect()
}

/// Each resource of an Elastic Load Balancing DescribeTags answer with its
/// tags (`TagDescriptions/member`: `ResourceArn` and `Tags/member`, `Key`
/// and `Value`), unescaped. Pure.
pub fn elb_tag_descriptions(xml: &str) -> Vec<(String, Tags)> {
    let mut out = Vec::new();
    let mut doc = Document::new(xml);
    if let Ok(mut root) = doc.root_element() {
        elb_walk(&mut root, &mut out);
    }
    out
}

/// The attributes of an Elastic Load Balancing Describe*Attributes answer
/// (`Attributes/member`: `Key` and `Value`), unescaped, in order. Pure.
pub fn elb_attributes(xml: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut doc = Document::new(xml);
    if let Ok(mut root) = doc.root_element() {
        attributes_walk(&mut root, &mut out);
    }
    out
}

fn attributes_walk(scope: &mut ScopedDecoder, out: &mut Vec<(String, String)>) {
    while let Some(mut child) = scope.next_tag() {
        if !child.start_el().matches("Attributes") {
            attributes_walk(&mut child, out);
            continue;
        }
        while let Some(mut member) = child.next_tag() {
            let (mut key, mut value) = (None, None);
            while let Some(mut f) = member.next_tag() {
                if f.start_el().matches("Key") {
                    key = try_data(&mut f).ok().map(|k| k.into_owned());
                } else if f.start_el().matches("Value") {
                    value = try_data(&mut f).ok().map(|v| v.into_owned());
                }
            }
            // Only a key listed with its value: nothing is written back
            // that was not read.
            if let (Some(key), Some(value)) = (key, value) {
                out.push((key, value));
            }
        }
    }
}

fn elb_walk(scope: &mut ScopedDecoder, out: &mut Vec<(String, Tags)>) {
    while let Some(mut child) = scope.next_tag() {
        if !child.start_el().matches("TagDescriptions") {
            elb_walk(&mut child, out);
            continue;
        }
        while let Some(mut member) = child.next_tag() {
            let (mut arn, mut tags) = (None, Vec::new());
            while let Some(mut field) = member.next_tag() {
                if field.start_el().matches("ResourceArn") {
                    arn = try_data(&mut field).ok().map(|v| v.trim().to_owned());
                } else if field.start_el().matches("Tags") {
                    while let Some(mut tag) = field.next_tag() {
                        let (mut key, mut value) = (None, String::new());
                        while let Some(mut f) = tag.next_tag() {
                            if f.start_el().matches("Key") {
                                key = try_data(&mut f).ok().map(|k| k.into_owned());
                            } else if f.start_el().matches("Value") {
                                value =
                                    try_data(&mut f).map(|v| v.into_owned()).unwrap_or_default();
                            }
                        }
                        if let Some(key) = key {
                            tags.push((key, value));
                        }
                    }
                }
            }
            if let Some(arn) = arn.filter(|a| !a.is_empty()) {
                out.push((arn, tags));
            }
        }
    }
}

fn walk(scope: &mut ScopedDecoder, element: &str, out: &mut Vec<(String, Tags)>) {
    while let Some(mut child) = scope.next_tag() {
        if child.start_el().matches("item") {
            item(&mut child, element, out);
        } else {
            walk(&mut child, element, out);
        }
    }
}

fn item(scope: &mut ScopedDecoder, element: &str, out: &mut Vec<(String, Tags)>) {
    let (mut id, mut tags) = (None, Vec::new());
    while let Some(mut child) = scope.next_tag() {
        if child.start_el().matches(element) {
            id = try_data(&mut child).ok().map(|v| v.trim().to_owned());
        } else if child.start_el().matches("tagSet") {
            tags = tag_set(&mut child);
        } else {
            walk(&mut child, element, out);
        }
    }
    if let Some(id) = id.filter(|i| !i.is_empty()) {
        out.push((id, tags));
    }
}

fn tag_set(scope: &mut ScopedDecoder) -> Tags {
    let mut tags = Vec::new();
    while let Some(mut item) = scope.next_tag() {
        let (mut key, mut value) = (None, String::new());
        while let Some(mut field) = item.next_tag() {
            if field.start_el().matches("key") {
                key = try_data(&mut field).ok().map(|k| k.into_owned());
            } else if field.start_el().matches("value") {
                value = try_data(&mut field)
                    .map(|v| v.into_owned())
                    .unwrap_or_default();
            }
        }
        if let Some(key) = key {
            tags.push((key, value));
        }
    }
    tags
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test(op: &str, key: &str, values: &[&str]) -> TagTest {
        let values: Vec<String> = values.iter().map(|v| (*v).to_owned()).collect();
        TagTest::from_operator(op, key, &values).unwrap()
    }

    #[test]
    fn a_listing_is_narrowed_only_to_keys_every_fitting_resource_carries() {
        let req = |any: Vec<Vec<TagTest>>, none: Vec<Vec<TagTest>>| TagRequirement::new(any, none);
        // Each group's first test an absent tag fails.
        let r = req(
            vec![
                vec![
                    test("StringEqualsIfExists", "a", &["1"]),
                    test("StringEquals", "b", &["2"]),
                ],
                vec![test("Null", "c", &["false"])],
                vec![test("StringLike", "b", &["*"])],
            ],
            vec![],
        );
        assert_eq!(
            r.required_keys(),
            Some(vec!["b".to_owned(), "c".to_owned()])
        );
        // A group an untagged resource meets, or no group: no narrowing.
        let r = req(
            vec![
                vec![test("StringEquals", "b", &["2"])],
                vec![test("Null", "c", &["true"])],
            ],
            vec![],
        );
        assert_eq!(r.required_keys(), None);
        let r = req(vec![], vec![vec![test("StringEquals", "b", &["2"])]]);
        assert_eq!(r.required_keys(), None);
    }

    fn tags(pairs: &[(&str, &str)]) -> Tags {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn each_operator_on_a_resources_tag() {
        for (op, values, value, want) in [
            ("StringEquals", &["true"][..], Some("true"), true),
            ("StringEquals", &["true"][..], Some("True"), false),
            ("StringEquals", &["a", "b"][..], Some("b"), true),
            ("StringEquals", &["true"][..], None, false),
            ("StringEqualsIfExists", &["a"][..], None, true),
            ("StringEqualsIfExists", &["a"][..], Some("b"), false),
            ("StringLike", &["*"][..], Some(""), true),
            ("StringLike", &["*"][..], None, false),
            ("StringLike", &["pre-?"][..], Some("pre-x"), true),
            ("StringLike", &["pre-?"][..], Some("pre-xy"), false),
            ("StringLikeIfExists", &["a*"][..], None, true),
            ("Null", &["false"][..], Some("x"), true),
            ("Null", &["false"][..], None, false),
            ("Null", &["true"][..], None, true),
            ("Null", &["true"][..], Some("x"), false),
        ] {
            assert_eq!(
                test(op, "k", values).holds(value),
                want,
                "{op} {values:?} on {value:?}"
            );
        }
        for (op, values) in [
            ("StringNotEquals", &["a"][..]),
            ("ForAnyValue:StringEquals", &["a"][..]),
            ("NumericEquals", &["1"][..]),
            ("NullIfExists", &["true"][..]),
            ("Null", &["maybe"][..]),
            ("StringEquals", &[][..]),
        ] {
            let values: Vec<String> = values.iter().map(|v| (*v).to_owned()).collect();
            assert_eq!(TagTest::from_operator(op, "k", &values), None, "{op}");
        }
        assert_eq!(
            TagTest::from_operator("StringEquals", "team/*", &["a".into()]),
            None,
            "a key with a wildcard names no one tag"
        );
        assert_eq!(
            test("StringLikeIfExists", "k", &["a"]).operator(),
            "StringLikeIfExists"
        );
    }

    #[test]
    fn a_requirement_needs_one_group_and_none_of_the_others() {
        let ebs = TagRequirement::new(
            vec![
                vec![test("StringLike", "ebs.csi.aws.com/cluster", &["true"])],
                vec![test("StringLike", "CSIVolumeName", &["*"])],
            ],
            vec![vec![test("StringEquals", "protected", &["yes"])]],
        );
        assert_eq!(
            ebs.satisfied_by(&tags(&[("ebs.csi.aws.com/cluster", "true")])),
            Some(true)
        );
        assert_eq!(
            ebs.satisfied_by(&tags(&[("CSIVolumeName", "pvc-1"), ("Name", "x")])),
            Some(true)
        );
        assert_eq!(
            ebs.satisfied_by(&tags(&[("ebs.csi.aws.com/cluster", "false")])),
            Some(false)
        );
        assert_eq!(ebs.satisfied_by(&[]), Some(false));
        assert_eq!(
            ebs.satisfied_by(&tags(&[("CSIVolumeName", "v"), ("protected", "yes")])),
            Some(false),
            "a none_of group holds"
        );
        // Keys are compared case-insensitively, values not.
        assert_eq!(
            ebs.satisfied_by(&tags(&[("EBS.CSI.AWS.COM/cluster", "true")])),
            Some(true)
        );
        assert_eq!(
            ebs.satisfied_by(&tags(&[("csivolumename", "a"), ("CSIVolumeName", "b")])),
            None,
            "one key in two spellings: not told"
        );
        // No positive group: anything but the none_of groups.
        let not = TagRequirement::new(vec![], ebs.any_of().to_vec());
        assert_eq!(not.satisfied_by(&[]), Some(true));
        assert_eq!(
            not.satisfied_by(&tags(&[("CSIVolumeName", "v")])),
            Some(false)
        );
        assert_eq!(
            ebs.keys(),
            ["ebs.csi.aws.com/cluster", "CSIVolumeName", "protected"]
        );
    }

    #[test]
    fn labels_say_what_is_looked_for_the_same_however_written() {
        let karpenter = |order: bool| {
            let mut g = vec![
                test("StringEquals", "kubernetes.io/cluster/c1", &["owned"]),
                test("StringLike", "karpenter.sh/nodepool", &["*"]),
            ];
            if order {
                g.reverse();
            }
            TagRequirement::new(vec![g], vec![])
        };
        assert_eq!(karpenter(true), karpenter(false));
        assert_eq!(
            karpenter(false).phrase(),
            "tagged karpenter.sh/nodepool and kubernetes.io/cluster/c1=owned"
        );
        let lbc = TagRequirement::new(
            vec![],
            vec![vec![test("Null", "elbv2.k8s.aws/cluster", &["false"])]],
        );
        assert_eq!(lbc.phrase(), "not tagged elbv2.k8s.aws/cluster");
        let both = TagRequirement::new(
            vec![
                vec![test("StringEquals", "a", &["1", "2"])],
                vec![
                    test("Null", "b", &["true"]),
                    test("StringLikeIfExists", "c", &["x*"]),
                ],
            ],
            vec![vec![test("StringEquals", "d", &["no"])]],
        );
        assert_eq!(
            both.phrase(),
            "tagged a=1|2 or (no b and c=x* if set), not tagged d=no"
        );
    }

    #[test]
    fn a_witness_meets_the_requirement_or_there_is_none() {
        let r = TagRequirement::new(
            vec![vec![
                test("StringEquals", "k", &["owned"]),
                test("StringLike", "p", &["pre-*"]),
                test("Null", "gone", &["true"]),
                test("StringEqualsIfExists", "opt", &["v"]),
            ]],
            vec![],
        );
        assert_eq!(
            r.witness(),
            Some(tags(&[("k", "owned"), ("p", "pre-irsa-verify")]))
        );
        // Two tests on one key: a value both accept.
        let both = TagRequirement::new(
            vec![vec![
                test("StringLike", "k", &["a*"]),
                test("StringEquals", "k", &["b", "abc"]),
            ]],
            vec![],
        );
        assert_eq!(both.witness(), Some(tags(&[("k", "abc")])));
        let never = TagRequirement::new(
            vec![vec![
                test("StringEquals", "k", &["a"]),
                test("StringEquals", "k", &["b"]),
            ]],
            vec![],
        );
        assert_eq!(never.witness(), None);
        // Not tagged: the untagged resource is one.
        let not = TagRequirement::new(vec![], vec![vec![test("Null", "k", &["false"])]]);
        assert_eq!(not.witness(), Some(vec![]));
        // The absent tag is what the excluded group asks for: it is set.
        let absent = TagRequirement::new(vec![], vec![vec![test("Null", "k", &["true"])]]);
        assert_eq!(absent.witness(), Some(tags(&[("k", "irsa-verify-other")])));
        // A group that holds on any resource cannot be escaped.
        let always =
            TagRequirement::new(vec![], vec![vec![test("StringLikeIfExists", "k", &["*"])]]);
        assert_eq!(always.witness(), None);
        // Allowed on tagged ones, except those also tagged protected.
        let except = TagRequirement::new(
            vec![vec![test("StringLike", "team", &["*"])]],
            vec![vec![
                test("StringLike", "team", &["*"]),
                test("Null", "protected", &["false"]),
            ]],
        );
        assert_eq!(except.witness(), Some(tags(&[("team", "irsa-verify")])));
    }

    #[test]
    fn elb_describe_tags_gives_each_resource_its_tags() {
        // As ELBv2 (and the emulator) answer: one member per ARN asked
        // about, an empty Tags for one without tags, values escaped.
        let xml = r#"<DescribeTagsResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/">
<DescribeTagsResult><TagDescriptions>
<member><ResourceArn>arn:aws:elasticloadbalancing:r:1:loadbalancer/app/a/1</ResourceArn>
  <Tags><member><Key>elbv2.k8s.aws/cluster</Key><Value>c&amp;1</Value></member><member><Key>Name</Key><Value/></member></Tags></member>
<member><Tags/><ResourceArn>arn:aws:elasticloadbalancing:r:1:loadbalancer/app/b/2</ResourceArn></member>
</TagDescriptions></DescribeTagsResult>
<ResponseMetadata><RequestId>x</RequestId></ResponseMetadata></DescribeTagsResponse>"#;
        assert_eq!(
            elb_tag_descriptions(xml),
            [
                (
                    "arn:aws:elasticloadbalancing:r:1:loadbalancer/app/a/1".to_owned(),
                    tags(&[("elbv2.k8s.aws/cluster", "c&1"), ("Name", "")])
                ),
                (
                    "arn:aws:elasticloadbalancing:r:1:loadbalancer/app/b/2".to_owned(),
                    vec![]
                ),
            ]
        );
        assert!(elb_tag_descriptions("not xml <<").is_empty());
        assert!(elb_tag_descriptions("<DescribeTagsResponse/>").is_empty());
    }

    #[test]
    fn each_describe_item_gives_its_own_tags() {
        // As EC2 (and the emulator) answer: the tagSet may come before the
        // ID, an item without tags has none, values are escaped, and an
        // attachment's item names its volume too.
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<DescribeVolumesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><volumeSet>
<item><tagSet><item><key>a/b</key><value>x&amp;y</value></item><item><key>Name</key><value></value></item></tagSet>
  <volumeId>vol-1</volumeId><attachmentSet><item><volumeId>vol-1</volumeId><instanceId>i-1</instanceId></item></attachmentSet></item>
<item><volumeId>vol-2</volumeId><tagSet/></item>
<item><volumeId>vol-3</volumeId></item>
</volumeSet></DescribeVolumesResponse>"#;
        let ids = vec![
            "vol-1".into(),
            "vol-2".into(),
            "vol-3".into(),
            "vol-4".into(),
        ];
        let listed = with_tags(ids, xml, "volumeId");
        assert_eq!(
            listed,
            [
                Listed {
                    id: "vol-1".into(),
                    tags: Some(tags(&[("a/b", "x&y"), ("Name", "")]))
                },
                Listed {
                    id: "vol-2".into(),
                    tags: Some(vec![])
                },
                Listed {
                    id: "vol-3".into(),
                    tags: Some(vec![])
                },
                Listed {
                    id: "vol-4".into(),
                    tags: None
                },
            ]
        );
        // An ID that is no item's own (an ENI's attachment) has no tags read.
        let eni = "<r><networkInterfaceSet><item><networkInterfaceId>eni-1</networkInterfaceId>\
                   <attachment><attachmentId>eni-attach-1</attachmentId></attachment>\
                   <tagSet><item><key>k</key><value>v</value></item></tagSet></item></networkInterfaceSet></r>";
        assert_eq!(
            with_tags(vec!["eni-attach-1".into()], eni, "attachmentId")[0].tags,
            None
        );
        assert_eq!(
            with_tags(vec!["eni-1".into()], eni, "networkInterfaceId")[0].tags,
            Some(tags(&[("k", "v")]))
        );
        assert_eq!(
            with_tags(vec!["x".into()], "not xml <<", "volumeId")[0].tags,
            None
        );
    }
}
