//! A create with the same settings as a resource that exists: the
//! resource's description, as its Describe lists it, turned back into the
//! create's query parameters (`Name.member.N.Field`, as the query protocol
//! flattens lists and structures). Pure.

use crate::catalogue::Copied;

/// One resource listed: its ARN, and its settings as the create's
/// parameters, or why they cannot be sent back whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub arn: String,
    pub settings: Result<Vec<(String, String)>, String>,
}

/// An XML element: text, or the elements it nests, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    Text(String),
    Nested(Vec<(String, Node)>),
}

/// Each resource the Describe answer lists (`LIST/member`), in order.
pub fn listed(xml: &str, c: Copied) -> Vec<Listed> {
    let (_, _, list, id) = c.read();
    let Some(Node::Nested(root)) = parse(xml) else {
        return Vec::new();
    };
    let members = find_list(&root, list).unwrap_or_default();
    members
        .iter()
        .filter_map(|(name, member)| match member {
            Node::Nested(fields) if name == "member" => Some(fields),
            _ => None,
        })
        .filter_map(|fields| {
            let arn = fields.iter().find_map(|(n, v)| match v {
                Node::Text(t) if n == id && !t.is_empty() => Some(t.clone()),
                _ => None,
            })?;
            let mut params = Vec::new();
            flatten(fields, "", c, &mut params);
            let missing = c
                .incomplete_with()
                .iter()
                .find(|e| params.iter().any(|(k, _)| k.split('.').any(|p| p == **e)));
            let settings = match missing {
                Some(e) => Err(format!(
                    "{} does not list every setting of {arn} (its {e} has one it never lists)",
                    c.read().0
                )),
                None => Ok(params),
            };
            Some(Listed { arn, settings })
        })
        .collect()
}

/// The elements an XML element nests.
type Elements = [(String, Node)];

/// The first list element of that name, wherever it is nested.
fn find_list<'a>(nodes: &'a Elements, list: &str) -> Option<&'a Elements> {
    nodes.iter().find_map(|(name, node)| match node {
        Node::Nested(children) if name == list => Some(children.as_slice()),
        Node::Nested(children) => find_list(children, list),
        Node::Text(_) => None,
    })
}

/// The query protocol's form of a structure: `Field`, `Struct.Field`,
/// `List.member.N...`; an empty element (an empty list) sends nothing, nor
/// does what `Copied::dropped` names or a structure at its default.
fn flatten(fields: &Elements, prefix: &str, c: Copied, out: &mut Vec<(String, String)>) {
    let mut n = 0;
    for (name, node) in fields {
        if c.dropped().contains(&name.as_str()) || at_default(name, node, c) {
            continue;
        }
        let key = if name == "member" {
            n += 1;
            format!("{prefix}member.{n}")
        } else {
            format!("{prefix}{name}")
        };
        match node {
            Node::Text(t) if t.is_empty() => {}
            Node::Text(t) => out.push((key, t.clone())),
            Node::Nested(children) => flatten(children, &format!("{key}."), c, out),
        }
    }
}

/// Is this a structure `Copied::defaults` names, at its default?
fn at_default(name: &str, node: &Node, c: Copied) -> bool {
    let Node::Nested(members) = node else {
        return false;
    };
    c.defaults().iter().any(|(element, member, value)| {
        name == *element
            && members
                .iter()
                .any(|(m, v)| m == member && *v == Node::Text((*value).to_owned()))
    })
}

/// A small reader for the answers this module is given: elements, text
/// and entities, no attributes kept (the query protocol's answers carry
/// only `xmlns`). None if the document is not well formed.
fn parse(xml: &str) -> Option<Node> {
    let start = xml.find('<')?;
    let mut rest = &xml[start..];
    // The declaration, if any.
    if rest.starts_with("<?") {
        rest = &rest[rest.find("?>")? + 2..];
    }
    let (node, _) = element(rest.trim_start())?;
    Some(Node::Nested(vec![node]))
}

/// One element at the start of `s`: its name and content, and what follows.
fn element(s: &str) -> Option<((String, Node), &str)> {
    let s = s.strip_prefix('<')?;
    let end = s.find('>')?;
    let tag = &s[..end];
    let name = tag
        .trim_end_matches('/')
        .split_whitespace()
        .next()?
        .to_owned();
    let mut rest = &s[end + 1..];
    if tag.ends_with('/') {
        return Some(((name, Node::Text(String::new())), rest));
    }
    let close = format!("</{name}>");
    let mut children = Vec::new();
    let mut text = String::new();
    loop {
        let lt = rest.find('<')?;
        text.push_str(&rest[..lt]);
        rest = &rest[lt..];
        if let Some(after) = rest.strip_prefix(&close) {
            let node = if children.is_empty() {
                Node::Text(unescape(text.trim())?)
            } else {
                Node::Nested(children)
            };
            return Some(((name, node), after));
        }
        if rest.starts_with("</") {
            return None;
        }
        let (child, after) = element(rest)?;
        children.push(child);
        rest = after;
    }
}

/// XML's five entities and character references.
fn unescape(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let end = rest[i..].find(';')? + i;
        let entity = &rest[i + 1..end];
        let c = match entity {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let code = match entity.strip_prefix("#x") {
                    Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                    None => entity.strip_prefix('#')?.parse().ok()?,
                };
                char::from_u32(code)?
            }
        };
        out.push(c);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANSWER: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<DescribeListenersResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/">
  <DescribeListenersResult>
    <Listeners>
      <member>
        <ListenerArn>arn:aws:elasticloadbalancing:eu-west-1:1:listener/app/a/1/2</ListenerArn>
        <LoadBalancerArn>arn:aws:elasticloadbalancing:eu-west-1:1:loadbalancer/app/a/1</LoadBalancerArn>
        <Port>443</Port>
        <Protocol>HTTPS</Protocol>
        <SslPolicy>ELBSecurityPolicy-TLS13-1-2-2021-06</SslPolicy>
        <Certificates>
          <member><CertificateArn>arn:aws:acm:eu-west-1:1:certificate/c</CertificateArn><IsDefault>true</IsDefault></member>
        </Certificates>
        <AlpnPolicy/>
        <MutualAuthentication><Mode>off</Mode><TrustStoreAssociationStatus>active</TrustStoreAssociationStatus></MutualAuthentication>
        <DefaultActions>
          <member>
            <Type>forward</Type>
            <TargetGroupArn>arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/t/3</TargetGroupArn>
            <ForwardConfig>
              <TargetGroups><member><TargetGroupArn>arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/t/3</TargetGroupArn><Weight>1</Weight></member></TargetGroups>
              <TargetGroupStickinessConfig><Enabled>false</Enabled></TargetGroupStickinessConfig>
            </ForwardConfig>
          </member>
          <member>
            <Type>redirect</Type>
            <Order>2</Order>
            <RedirectConfig><Query>a=1&amp;b=&lt;2&gt;</Query><StatusCode>HTTP_301</StatusCode></RedirectConfig>
          </member>
        </DefaultActions>
      </member>
      <member>
        <ListenerArn>arn:aws:elasticloadbalancing:eu-west-1:1:listener/app/a/1/4</ListenerArn>
        <Port>80</Port>
        <DefaultActions><member><Type>authenticate-oidc</Type><AuthenticateOidcConfig><ClientId>x</ClientId></AuthenticateOidcConfig></member></DefaultActions>
      </member>
    </Listeners>
  </DescribeListenersResult>
  <ResponseMetadata><RequestId>r</RequestId></ResponseMetadata>
</DescribeListenersResponse>"#;

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    /// Every setting listed comes back as the create's parameter, lists and
    /// structures flattened as the query protocol sends them, entities
    /// unescaped; what only the Describe answers with is left out.
    #[test]
    fn a_listener_is_sent_back_as_its_own_create() {
        let got = listed(ANSWER, Copied::Listener);
        assert_eq!(got.len(), 2);
        assert_eq!(
            got[0].arn,
            "arn:aws:elasticloadbalancing:eu-west-1:1:listener/app/a/1/2"
        );
        let tg = "arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/t/3";
        assert_eq!(
            got[0].settings,
            Ok(pairs(&[
                ("Port", "443"),
                ("Protocol", "HTTPS"),
                ("SslPolicy", "ELBSecurityPolicy-TLS13-1-2-2021-06"),
                (
                    "Certificates.member.1.CertificateArn",
                    "arn:aws:acm:eu-west-1:1:certificate/c"
                ),
                ("DefaultActions.member.1.Type", "forward"),
                ("DefaultActions.member.1.TargetGroupArn", tg),
                (
                    "DefaultActions.member.1.ForwardConfig.TargetGroups.member.1.TargetGroupArn",
                    tg
                ),
                (
                    "DefaultActions.member.1.ForwardConfig.TargetGroups.member.1.Weight",
                    "1"
                ),
                (
                    "DefaultActions.member.1.ForwardConfig.TargetGroupStickinessConfig.Enabled",
                    "false"
                ),
                ("DefaultActions.member.2.Type", "redirect"),
                ("DefaultActions.member.2.Order", "2"),
                ("DefaultActions.member.2.RedirectConfig.Query", "a=1&b=<2>"),
                (
                    "DefaultActions.member.2.RedirectConfig.StatusCode",
                    "HTTP_301"
                ),
            ]))
        );
        // Mutual TLS in another mode than the default is sent back.
        let verify = ANSWER.replace("<Mode>off</Mode>", "<Mode>verify</Mode>");
        let got_verify = listed(&verify, Copied::Listener);
        assert!(got_verify[0]
            .settings
            .as_ref()
            .is_ok_and(|p| p.contains(&("MutualAuthentication.Mode".into(), "verify".into()))));
        // An OIDC action's client secret is never listed: not sent back.
        assert!(got[1]
            .settings
            .as_ref()
            .is_err_and(|why| why.contains("AuthenticateOidcConfig")));
    }

    #[test]
    fn an_answer_without_the_list_or_not_well_formed_lists_nothing() {
        assert!(listed(
            "<R><Other><member><ListenerArn>a</ListenerArn></member></Other></R>",
            Copied::Listener
        )
        .is_empty());
        assert!(listed(
            "<R><Listeners><member><Port>1</Port></member></Listeners>",
            Copied::Listener
        )
        .is_empty());
        assert!(listed("not xml", Copied::Listener).is_empty());
        // Only the list's members are resources.
        assert!(listed(
            "<R><Listeners><other><ListenerArn>a</ListenerArn></other></Listeners></R>",
            Copied::Listener
        )
        .is_empty());
        // A member without its ARN is not one to send back.
        assert!(listed(
            "<R><Listeners><member><Port>1</Port></member></Listeners></R>",
            Copied::Listener
        )
        .is_empty());
    }

    #[test]
    fn entities_are_read_as_xml_defines_them() {
        assert_eq!(
            unescape("a&amp;b&#38;c&#x3C;&quot;&apos;&gt;").as_deref(),
            Some("a&b&c<\"'>")
        );
        assert_eq!(unescape("a&unknown;"), None);
        assert_eq!(unescape("a&amp"), None);
    }
}
