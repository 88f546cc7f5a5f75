//! DynamoDB probes. Item writes carry a condition no item can meet; DeleteTable
//! is only sent to a table that deletion protection keeps, as read just before.

use std::collections::HashMap;

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{AttributeValue, ScalarAttributeType};

use super::{random_token, Ctx};
use crate::answer::{Answer, Observation, Observed};
use crate::check::{ItemKey, KeyValue, TableName, PROBE_PREFIX};

use crate::catalogue::rows_answers::{
    DYNAMODB_CONDITION_FAILED as CONDITION_FAILED,
    DYNAMODB_DELETION_PROTECTED as DELETION_PROTECTED,
};

/// The table's own region, when its ARN names one: the probe goes there.
fn located(table: &TableName) -> aws_sdk_dynamodb::config::Builder {
    let builder = aws_sdk_dynamodb::config::Builder::default();
    match table.region() {
        Some(r) => builder.region(aws_sdk_dynamodb::config::Region::new(r.to_owned())),
        None => builder,
    }
}

#[derive(Debug, Clone)]
pub struct TableInfo {
    pub status: String,
    pub deletion_protection: bool,
    pub key: Vec<(String, ScalarAttributeType)>,
}

/// DescribeTable, once per table per run.
async fn table_info<'a>(ctx: &'a Ctx, table: &TableName) -> &'a Result<TableInfo, Answer> {
    // Every table of the run's checks is registered by Ctx::new.
    static MISSING: std::sync::OnceLock<Result<TableInfo, Answer>> = std::sync::OnceLock::new();
    let Some(cell) = ctx.tables.get(&table.to_string()) else {
        return MISSING.get_or_init(|| Err(Answer::not_sent("internal: table not registered")));
    };
    cell.get_or_init(|| describe(ctx, table)).await
}

/// DescribeTable, uncached.
async fn describe(ctx: &Ctx, table: &TableName) -> Result<TableInfo, Answer> {
    let out = ctx
        .dynamodb
        .describe_table()
        .table_name(table.request_name(&ctx.place))
        .customize()
        .config_override(located(table))
        .send()
        .await
        .map_err(|e| Answer::from_sdk(&e))?;
    let t = out.table().ok_or_else(|| Answer::Transport {
        detail: "DescribeTable returned no table".to_owned(),
    })?;
    let types: HashMap<&str, &ScalarAttributeType> = t
        .attribute_definitions()
        .iter()
        .map(|d| (d.attribute_name(), d.attribute_type()))
        .collect();
    let key = t
        .key_schema()
        .iter()
        .map(|k| {
            let ty = types
                .get(k.attribute_name())
                .map(|t| (*t).clone())
                .unwrap_or(ScalarAttributeType::S);
            (k.attribute_name().to_owned(), ty)
        })
        .collect();
    Ok(TableInfo {
        status: t
            .table_status()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default(),
        deletion_protection: t.deletion_protection_enabled().unwrap_or(false),
        key,
    })
}

pub async fn describe_table(ctx: &Ctx, table: &TableName) -> Observation {
    let answer = match table_info(ctx, table).await {
        Ok(info) => Answer::success(
            200,
            format!(
                "{}, deletion protection {}",
                info.status,
                if info.deletion_protection {
                    "on"
                } else {
                    "off"
                }
            ),
        ),
        Err(a) => a.clone(),
    };
    Observation::new(answer, &[], format!("DescribeTable {table}"))
}

pub async fn list_tables(ctx: &Ctx) -> Observation {
    let answer = match ctx.dynamodb.list_tables().limit(1).send().await {
        Ok(_) => Answer::success(200, ""),
        Err(e) => Answer::from_sdk(&e),
    };
    Observation::new(answer, &[], "ListTables, limit 1")
}

type Item = HashMap<String, AttributeValue>;

/// The key to use: the spec's, or a random one shaped by the key schema.
async fn item_key(
    ctx: &Ctx,
    table: &TableName,
    key: Option<&ItemKey>,
) -> Result<(Item, String), Observation> {
    if let Some(key) = key {
        let item = key
            .attributes()
            .iter()
            .map(|(k, v)| {
                let v = match v {
                    KeyValue::Int(n) => AttributeValue::N(n.to_string()),
                    KeyValue::Float(f) => AttributeValue::N(f.to_string()),
                    KeyValue::Str(s) => AttributeValue::S(s.clone()),
                };
                (k.clone(), v)
            })
            .collect();
        return Ok((item, format!("the key {key}")));
    }
    match table_info(ctx, table).await {
        Ok(info) => {
            let token = random_token();
            let item = info
                .key
                .iter()
                .map(|(name, ty)| {
                    let v = match ty {
                        ScalarAttributeType::N => AttributeValue::N(format!("9{}", u64::from_str_radix(&token[..15], 16).unwrap_or(7))),
                        ScalarAttributeType::B => AttributeValue::B(Blob::new(format!("{PROBE_PREFIX}{token}"))),
                        _ => AttributeValue::S(format!("{PROBE_PREFIX}{token}")),
                    };
                    (name.clone(), v)
                })
                .collect();
            Ok((item, format!("a random key ({PROBE_PREFIX}{token})")))
        }
        Err(answer) => Err(Observation::unknown(
            format!(
                "could not build a key: DescribeTable answered {}; allow dynamodb:DescribeTable on the table, or name an item: \
                 write the checks with --print-spec and add `key:` with the table's primary key to this check (then run with --spec)",
                answer.summary()
            ),
            "not sent",
        )),
    }
}

pub async fn get_item(ctx: &Ctx, table: &TableName, key: Option<&ItemKey>) -> Observation {
    let (key, which) = match item_key(ctx, table, key).await {
        Ok(k) => k,
        Err(p) => return p,
    };
    let answer = match ctx
        .dynamodb
        .get_item()
        .table_name(table.request_name(&ctx.place))
        .set_key(Some(key))
        .customize()
        .config_override(located(table))
        .send()
        .await
    {
        Ok(out) => Answer::success(
            200,
            if out.item().is_some() {
                "item found"
            } else {
                "no item with that key"
            },
        ),
        Err(e) => Answer::from_sdk(&e),
    };
    Observation::new(answer, &[], format!("GetItem {table} with {which}"))
}

#[derive(Clone, Copy)]
enum ItemWrite {
    Put,
    Delete,
}

pub async fn put_item(ctx: &Ctx, table: &TableName, key: Option<&ItemKey>) -> Observation {
    conditional_item_write(ctx, table, key, ItemWrite::Put).await
}

pub async fn delete_item(ctx: &Ctx, table: &TableName, key: Option<&ItemKey>) -> Observation {
    conditional_item_write(ctx, table, key, ItemWrite::Delete).await
}

/// The write, with a condition no item meets: the attribute name is made up
/// for this call, so an allowed write fails the condition and writes nothing.
async fn conditional_item_write(
    ctx: &Ctx,
    table: &TableName,
    key: Option<&ItemKey>,
    op: ItemWrite,
) -> Observation {
    let (key, which) = match item_key(ctx, table, key).await {
        Ok(k) => k,
        Err(p) => return p,
    };
    let attr = format!("irsa_verify_never_{}", random_token());
    let (cond, placeholder) = ("attribute_exists(#never)", "#never");
    let (verb, result) = match op {
        ItemWrite::Put => (
            "PutItem",
            ctx.dynamodb
                .put_item()
                .table_name(table.request_name(&ctx.place))
                .set_item(Some(key))
                .condition_expression(cond)
                .expression_attribute_names(placeholder, &attr)
                .customize()
                .config_override(located(table))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| Answer::from_sdk(&e)),
        ),
        ItemWrite::Delete => (
            "DeleteItem",
            ctx.dynamodb
                .delete_item()
                .table_name(table.request_name(&ctx.place))
                .set_key(Some(key))
                .condition_expression(cond)
                .expression_attribute_names(placeholder, &attr)
                .customize()
                .config_override(located(table))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| Answer::from_sdk(&e)),
        ),
    };
    let form = format!(
        "{verb} {table} with {which} and ConditionExpression attribute_exists({attr}): no item has that attribute, so an allowed call fails the condition and writes nothing"
    );
    match result {
        Ok(()) => Observation::new(Answer::success(200, "the conditional write was carried out"), &[], form)
            .note(format!("UNEXPECTED: the endpoint ignored the condition and carried out the {verb}; please report this")),
        Err(answer) => Observation::new(answer, CONDITION_FAILED, form),
    }
}

/// Whether DeleteTable may be sent, and in which form.
#[derive(Debug, Clone, PartialEq, Eq)]
enum DeleteGate {
    /// --allow-destructive: the real delete.
    OptedIn,
    /// Deletion protection is on: an allowed call is refused and the table stays.
    Protected,
    /// Not sent, with why.
    Skip(String),
}

/// Pure: may DeleteTable be sent? `fresh` is what a DescribeTable read just
/// before the delete said of deletion protection (None: not read); without
/// --allow-destructive only "on" lets it go.
fn delete_gate(
    table: &TableName,
    allow_destructive: bool,
    fresh: Option<Result<bool, &Answer>>,
) -> DeleteGate {
    if allow_destructive {
        return DeleteGate::OptedIn;
    }
    match fresh {
        None => DeleteGate::Skip(format!(
            "not attempted: internal: deletion protection of {table} was not read before the delete"
        )),
        Some(Ok(true)) => DeleteGate::Protected,
        Some(Ok(false)) => DeleteGate::Skip(format!(
            "not attempted: {table} has no deletion protection, so an allowed DeleteTable would drop it. \
             Enable deletion protection (aws dynamodb update-table --table-name {table} --deletion-protection-enabled) \
             to make this probe harmless, or pass --allow-destructive to attempt the real delete"
        )),
        Some(Err(answer)) => DeleteGate::Skip(format!(
            "not attempted: could not learn whether {table} has deletion protection (DescribeTable answered {}), \
             and without it an allowed DeleteTable would drop the table. Allow dynamodb:DescribeTable on the table, \
             or pass --allow-destructive to attempt the real delete",
            answer.summary()
        )),
    }
}

pub async fn delete_table(ctx: &Ctx, table: &TableName) -> Observation {
    let send = || async {
        match ctx
            .dynamodb
            .delete_table()
            .table_name(table.request_name(&ctx.place))
            .customize()
            .config_override(located(table))
            .send()
            .await
        {
            Ok(_) => Answer::success(200, "the table is being deleted"),
            Err(e) => Answer::from_sdk(&e),
        }
    };
    // Read protection again right before the delete, not from the run's cache:
    // it may have been turned off since the first DescribeTable.
    let fresh = if ctx.allow_destructive {
        None
    } else {
        Some(describe(ctx, table).await)
    };
    let protection = fresh
        .as_ref()
        .map(|r| r.as_ref().map(|info| info.deletion_protection));
    match delete_gate(table, ctx.allow_destructive, protection) {
        DeleteGate::OptedIn => {
            let probed = Observation::new(
                send().await,
                DELETION_PROTECTED,
                format!("DeleteTable {table}, unprotected (--allow-destructive)"),
            );
            if matches!(probed.answer, Answer::Success { .. }) {
                probed.note(format!("table {table} is being deleted"))
            } else {
                probed
            }
        }
        DeleteGate::Protected => {
            let probed = Observation::new(
                send().await,
                DELETION_PROTECTED,
                format!("DescribeTable {table} (deletion protection on), then at once DeleteTable {table}: an allowed call is refused with \
                         ValidationException and the table stays (this assumes DynamoDB authorizes the call before it checks deletion protection)"),
            );
            if probed.observed == Observed::Allowed
                && matches!(probed.answer, Answer::Success { .. })
            {
                probed.note(format!(
                    "UNEXPECTED: {table} was protected but the endpoint started deleting it"
                ))
            } else {
                probed
            }
        }
        DeleteGate::Skip(reason) => Observation::skipped(reason),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(code: &str, message: &str) -> Answer {
        Answer::ServiceError {
            status: Some(400),
            code: Some(code.to_owned()),
            message: Some(message.to_owned()),
        }
    }

    #[test]
    fn a_failed_condition_proves_the_write_was_authorized_nothing_else_does() {
        let write = |a| Observation::new(a, CONDITION_FAILED, "f").observed;
        assert_eq!(
            write(err(
                "ConditionalCheckFailedException",
                "The conditional request failed"
            )),
            Observed::Allowed
        );
        assert_eq!(
            write(err("AccessDeniedException", "User: x is not authorized")),
            Observed::Denied
        );
        // A missing table says nothing about the caller's permissions.
        assert_eq!(
            write(err(
                "ResourceNotFoundException",
                "Requested resource not found"
            )),
            Observed::Unknown
        );
        assert_eq!(
            write(err(
                "ValidationException",
                "The provided key element does not match the schema"
            )),
            Observed::Unknown
        );
    }

    #[test]
    fn delete_table_goes_out_only_on_a_fresh_protected_read_or_the_opt_in() {
        let t = TableName::parse("orders").unwrap();
        let denied = err(
            "AccessDeniedException",
            "not authorized to perform: dynamodb:DescribeTable",
        );
        assert_eq!(
            delete_gate(&t, false, Some(Ok(true))),
            DeleteGate::Protected
        );
        let DeleteGate::Skip(why) = delete_gate(&t, false, Some(Ok(false))) else {
            panic!("an unprotected table must not be deleted");
        };
        assert!(
            why.contains("no deletion protection") && why.contains("--allow-destructive"),
            "{why}"
        );
        let DeleteGate::Skip(why) = delete_gate(&t, false, Some(Err(&denied))) else {
            panic!("an unknown protection must not be deleted");
        };
        assert!(
            why.contains("could not learn") && why.contains("AccessDeniedException"),
            "{why}"
        );
        assert!(matches!(delete_gate(&t, false, None), DeleteGate::Skip(_)));
        for fresh in [None, Some(Ok(true)), Some(Ok(false)), Some(Err(&denied))] {
            assert_eq!(delete_gate(&t, true, fresh), DeleteGate::OptedIn);
        }
    }

    #[test]
    fn only_the_deletion_protection_refusal_proves_delete_table_was_authorized() {
        let delete = |a| Observation::new(a, DELETION_PROTECTED, "f").observed;
        let aws = "Resource cannot be deleted as it is currently protected against manual deletion. Disable deletion protection first.";
        assert_eq!(delete(err("ValidationException", aws)), Observed::Allowed);
        assert_eq!(
            delete(err(
                "ValidationException",
                "Table is being deleted: DeletionProtectionEnabled"
            )),
            Observed::Allowed
        );
        assert_eq!(
            delete(err(
                "ValidationException",
                "1 validation error detected: Value null at 'tableName'"
            )),
            Observed::Unknown
        );
        assert_eq!(
            delete(err(
                "ResourceNotFoundException",
                "Requested resource not found"
            )),
            Observed::Unknown
        );
        assert_eq!(
            delete(err("ResourceInUseException", "deletion protection")),
            Observed::Unknown
        );
        assert_eq!(delete(err("AccessDeniedException", "x")), Observed::Denied);
    }
}
