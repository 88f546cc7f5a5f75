"""Patches that make moto 5.2.5 authorize and answer as AWS does.

Imported by moto_server.py before the server starts; every patch is applied
on import. Each one names, in its docstring, the AWS behaviour it restores.
In short:

* Resource-level authorization: a request is authorized against the ARNs of
  the resources it names (Service Authorization Reference formats), not
  against "*"; an EC2 request naming several resources is allowed only when
  every one of them is.
* IAM's pattern matching: `?` is one character, `*` any run; actions match
  case-insensitively, resources case-sensitively; NotAction/NotResource.
* Identity-policy conditions on request tags (aws:RequestTag/KEY,
  aws:TagKeys), ec2:CreateAction, aws:RequestedRegion and
  aws:PrincipalAccount, on an existing EC2 resource's own tags
  (aws:ResourceTag/KEY, ec2:ResourceTag/KEY) and on the tags of the ELBv2
  resource a request names (aws:ResourceTag/KEY; a made-up ARN carries
  none); conditions on other keys are left unevaluated (met), as moto
  leaves them.
* Denials in each service's own error shape and with AWS's message.
* sts:AssumeRole evaluates the target role's trust policy (Principal AWS:
  the caller's role or user ARN, its account's root or bare account ID, or
  "*"), in whichever account the role is; a refusal, or a role that does not
  exist, is AWS's AccessDenied that names no policy type.
* Signed GET requests pass the signature check.
* KMS honours DryRun, and so does every EC2 action; Secrets Manager errors
  are HTTP 400, ListSecretVersionIds on a missing secret included.
* Query-protocol signatures are checked over the body bytes as sent.
* ELBv2 writes answer as the API reference documents: ModifyRule with no
  property changes nothing, AddListenerCertificates does not add a listed
  certificate again, DeregisterTargets of a target that does not exist
  succeeds, and a create on a missing parent builds nothing;
  SetRulePriorities is authorized on each rule's ARN; a target group's
  attributes are strings.
* Stand-ins answer, after authorization, the operations irsa-verify probes
  that moto 5.2.5 lacks (STAND_INS: EC2 CreateCoipPool, DescribeCoipPools,
  GetCoipPoolUsage, authorized on the pool, DescribeIpamPools,
  GetSecurityGroupsForVpc, GetInstanceTypesFromInstanceRequirements; ELBv2
  DescribeTrustStores; Shield GetSubscriptionState; X-Ray GetSamplingRules,
  GetSamplingStatisticSummaries, whose paths are routed and whose actions
  are named as IAM names them; the Price List Service's GetProducts, a
  service moto lacks whole, registered for it), each with its documented
  result shape;
  WAFv2 GetWebACLForResource omits an absent WebACL.
* Cognito user pool requests are authorized on the pool they name, and
  Shield's DescribeProtection on the protection it names or finds.
* EFS requests are authorized on the file system they name (or the file
  system of the mount target or access point named).
* AWS's public SSM parameters (/aws/service/...) are authorized on their
  account-less ARN (arn:aws:ssm:REGION::parameter/aws/service/...).

S3 keeps moto's own resource mapping and error shape; it only gains the
matching and condition fixes.
"""

from __future__ import annotations

import copy
import functools
import json
import re
import uuid
from typing import Any
from urllib.parse import urlparse
from xml.sax.saxutils import escape

from werkzeug.exceptions import HTTPException

from moto import settings
from moto.core import authorization
from moto.core.exceptions import AccessDeniedError
from moto.core.responses import BaseResponse
from moto.core.utils import get_service_model
from moto.iam import access_control

# CloudWatch Logs: the suffix AWS appends to a log group's ARN when it
# authorizes an action on the group itself. The Service Authorization Reference
# writes the group as "...:log-group:NAME", but AWS's denials read "... on
# resource: arn:aws:logs:R:A:log-group:NAME:log-stream:" (and
# "log-group::log-stream:" for DescribeLogGroups; reports:
# FormidableLabs/terraform-aws-serverless#49,
# hashicorp/terraform-provider-aws#8804), which is why a grant on
# "log-group:NAME" without ":*" does not cover DescribeLogStreams. Set to ""
# to authorize against the bare Service Authorization Reference form.
LOGS_GROUP_SUFFIX = ":log-stream:"

# Signing names whose IAM action prefix differs.
IAM_PREFIX = {"monitoring": "cloudwatch", "email": "ses"}

# Condition keys this emulator fills in; a condition on any other key is
# left unevaluated (treated as met), as moto 5.2.5 does.
KNOWN_CONDITION_KEYS = (
    "aws:requesttag/", "aws:tagkeys", "ec2:createaction", "aws:requestedregion", "aws:principalaccount",
    "route53:changeresourcerecordsetsrecordtypes", "route53:changeresourcerecordsetsactions",
    "route53:changeresourcerecordsetsnormalizedrecordnames",
)

# Resource-tag condition keys: evaluated only for a check whose context says
# the resource's tags were read (RESOURCE_TAGS_READ: an existing EC2
# resource, any ELBv2 ARN), else left unevaluated as above.
RESOURCE_TAG_KEYS = ("aws:resourcetag/", "ec2:resourcetag/")
RESOURCE_TAGS_READ = "fidelity:resource-tags-read"


# --------------------------------------------------------------------------
# IAM pattern matching and policy evaluation
# --------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def _pattern(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(f"^{body}$", re.S | (re.I if ignore_case else 0))


def iam_match(pattern: str, value: str, ignore_case: bool = False) -> bool:
    """IAM wildcard matching: `*` is any run of characters, `?` exactly one."""
    return bool(_pattern(str(pattern), ignore_case).match(value))


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _patched_match(pattern: str, string: str) -> re.Match[str] | None:
    """AWS treats `?` in a policy as exactly one character. moto 5.2.5 turned
    only `*` into a regex and left `?` a regex quantifier: a run of them (the
    "name-??????" of a Secrets Manager grant) is an invalid regex, HTTP 500;
    a single one made the character before it optional. Kept for moto's own
    evaluator (IAMPolicy), which requests no longer reach: identity policies
    are evaluated by `evaluate`, trust policies by `trust_allows`."""
    return _pattern(str(pattern), False).match(string)


access_control.IAMPolicyStatement._match = staticmethod(_patched_match)


def _cond_str(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


_CONDITION_OPS = {
    "stringequals": (lambda v, e: v == e, False),
    "stringnotequals": (lambda v, e: v == e, True),
    "stringequalsignorecase": (lambda v, e: v.lower() == e.lower(), False),
    "stringnotequalsignorecase": (lambda v, e: v.lower() == e.lower(), True),
    "stringlike": (lambda v, e: iam_match(e, v), False),
    "stringnotlike": (lambda v, e: iam_match(e, v), True),
    "arnequals": (lambda v, e: v == e, False),
    "arnnotequals": (lambda v, e: v == e, True),
    "arnlike": (lambda v, e: iam_match(e, v), False),
    "arnnotlike": (lambda v, e: iam_match(e, v), True),
    "bool": (lambda v, e: v.lower() == e.lower(), False),
}


def _known_key(key: str) -> bool:
    k = key.lower()
    return any(k == known or (known.endswith("/") and k.startswith(known)) for known in KNOWN_CONDITION_KEYS)


def _condition_met(op: str, key: str, expected: Any, context: dict[str, list[str]]) -> bool:
    on_resource_tag = key.lower().startswith(RESOURCE_TAG_KEYS)
    if on_resource_tag and RESOURCE_TAGS_READ not in context:
        return True
    if not on_resource_tag and not _known_key(key):
        return True
    qualifier = ""
    if ":" in op:
        qualifier, op = op.split(":", 1)
        qualifier = qualifier.lower()
    if_exists = op.endswith("IfExists")
    if if_exists:
        op = op[: -len("IfExists")]
    values = context.get(key.lower())
    expected_values = [_cond_str(e) for e in _as_list(expected)]
    if op.lower() == "null":
        want_missing = expected_values and expected_values[0].lower() == "true"
        return (values is None) == bool(want_missing)
    spec = _CONDITION_OPS.get(op.lower())
    if spec is None:
        return True  # an operator this emulator does not play: left unevaluated
    fn, negated = spec
    if values is None:
        return if_exists or negated or qualifier == "forallvalues"
    per_value = []
    for v in values:
        hit = any(fn(v, e) for e in expected_values)
        per_value.append(not hit if negated else hit)
    if qualifier == "forallvalues":
        return all(per_value)
    return any(per_value)


def _conditions_met(block: Any, context: dict[str, list[str]]) -> bool:
    if not block:
        return True
    for op, pairs in block.items():
        for key, expected in (pairs or {}).items():
            if not _condition_met(op, key, expected, context):
                return False
    return True


def _statement_applies(stmt: dict[str, Any], action: str, resource: str, context: dict[str, list[str]]) -> bool:
    if "Action" in stmt:
        if not any(iam_match(p, action, True) for p in _as_list(stmt["Action"])):
            return False
    elif "NotAction" in stmt:
        if any(iam_match(p, action, True) for p in _as_list(stmt["NotAction"])):
            return False
    else:
        return False
    if "Resource" in stmt:
        if not any(iam_match(p, resource) for p in _as_list(stmt["Resource"])):
            return False
    elif "NotResource" in stmt:
        if any(iam_match(p, resource) for p in _as_list(stmt["NotResource"])):
            return False
    else:
        return False
    return _conditions_met(stmt.get("Condition"), context)


def _statements(policies: list[Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for policy in policies:
        doc = access_control.IAMPolicy(policy)._policy_json
        out.extend(s for s in _as_list(doc.get("Statement")) if isinstance(s, dict))
    return out


class Check:
    """One authorization IAM makes for a request: an action on a resource,
    with the request context, and the resource as AWS prints it."""

    def __init__(self, action: str, resource: str, context: dict[str, list[str]] | None = None, shown: str | None = None):
        self.action = action
        self.resource = resource
        self.context = context or {}
        self.shown = shown or resource

    def __repr__(self) -> str:
        return f"Check({self.action!r}, {self.resource!r})"


class Checks(list):
    """The checks for one request, passed where moto passes its one resource."""


class Denied(AccessDeniedError):
    """A denial with what AWS tells: the action, the resource and why."""

    def __init__(self, principal: str, check: Check, explicit: bool):
        self.principal = principal
        self.check = check
        self.explicit = explicit
        super().__init__(principal, check.action)
        self.message = denial_message(principal, check.action, check.shown, explicit)


def denial_message(principal: str, action: str, resource: str, explicit: bool) -> str:
    on = "" if resource in ("*", "") else f" on resource: {resource}"
    why = "with an explicit deny in an identity-based policy" if explicit else f"because no identity-based policy allows the {action} action"
    return f"User: {principal} is not authorized to perform: {action}{on} {why}"


def evaluate(statements: list[dict[str, Any]], checks: list[Check]) -> tuple[Check, bool] | None:
    """IAM's identity-policy logic over every check of a request: an explicit
    Deny anywhere wins, and each check needs its own Allow. Returns the check
    that fails (and whether by explicit deny), or None when all are allowed."""
    implicit: Check | None = None
    for check in checks:
        applying = [s for s in statements if _statement_applies(s, check.action, check.resource, check.context)]
        if any(s.get("Effect") == "Deny" for s in applying):
            return check, True
        if implicit is None and not any(s.get("Effect") == "Allow" for s in applying):
            implicit = check
    return (implicit, False) if implicit else None


def _check_action_permitted(self: Any, resource: Any) -> None:
    """IAM authorizes a request against every resource it names, matching `?`
    as one character and actions case-insensitively, and evaluates
    conditions on request tags; sts:AssumeRole then needs the target role's
    trust policy too (trust_allows). moto 5.2.5 checked one resource (usually
    "*"), crashed on `?` and compared action names case-sensitively."""
    if self._action == "sts:GetCallerIdentity":
        return
    if isinstance(resource, Checks):
        checks = list(resource)
    else:
        checks = [Check(self._action, resource, _base_context(self._region, self.account_id))]
    statements = _statements(self._access_key.collect_policies())
    failed = evaluate(statements, checks)
    if failed is not None:
        check, explicit = failed
        if isinstance(self, access_control.S3IAMRequest):
            self._raise_access_denied()
        raise Denied(self._access_key.arn, check, explicit)
    if self._action.lower() == "sts:assumerole":
        for check in checks:
            if check.action.lower() == "sts:assumerole" and not trust_allows(check.resource, self._access_key, check.context):
                raise TrustRefused(self._access_key.arn, check)


access_control.IAMRequestBase.check_action_permitted = _check_action_permitted


# --------------------------------------------------------------------------
# Role trust policies (sts:AssumeRole)
# --------------------------------------------------------------------------


class TrustRefused(Denied):
    """AWS's answer when the role's trust policy does not let the caller
    assume it, or the role does not exist (AWS answers both alike): 403
    AccessDenied naming the caller, sts:AssumeRole and the role, and no
    policy type. A refusal by the caller's own identity policies keeps the
    "because no identity-based policy allows ..." clause (Denied)."""

    def __init__(self, principal: str, check: Check):
        super().__init__(principal, check, explicit=False)
        self.message = f"User: {principal} is not authorized to perform: {check.action} on resource: {check.shown}"


def _caller_principals(access_key: Any) -> set[str]:
    """What a trust policy's Principal AWS can name the caller by: an IAM
    user's ARN; for a role session, the role's ARN with its path (AWS maps a
    role principal to the role, and every session of it matches); the
    account's root ARN; the bare account ID."""
    from moto.iam.models import iam_backends

    account, partition = access_key.account_id, access_key.partition
    names = {f"arn:{partition}:iam::{account}:root", account}
    role_name = getattr(access_key, "_owner_role_name", None)
    if role_name is None:
        names.add(access_key.arn)
        return names
    try:
        names.add(iam_backends[account][partition].get_role(role_name).arn)
    except Exception:  # noqa: BLE001 - a session of a role deleted since: its ARN without a path
        names.add(f"arn:{partition}:iam::{account}:role/{role_name}")
    return names


def trust_allows(role_arn: str, access_key: Any, context: dict[str, list[str]]) -> bool:
    """A role's trust policy decides who may assume it: a statement allowing
    sts:AssumeRole to a principal that names the caller (or "*"), with no
    Deny that does; the role is looked up in its own account, so a role in
    another account is judged by its own trust policy. moto 5.2.5 compared
    the principal with the session's ARN only for roles in the caller's
    account, and this module's resource-level authorization had left the
    trust policy unevaluated altogether. Conditions on keys this module does
    not fill in are left unevaluated (met), as in identity policies."""
    from urllib.parse import unquote

    from moto.iam.models import iam_backends

    m = re.fullmatch(r"arn:([^:]+):iam::(\d+):role/(.+)", role_arn)
    if not m:
        return False
    partition, account = m.group(1), m.group(2)
    try:
        role = iam_backends[account][partition].get_role_by_arn(role_arn)
    except Exception:  # noqa: BLE001 - no such role: refused, as AWS does
        return False
    doc = role.assume_role_policy_document
    if isinstance(doc, str):
        try:
            doc = json.loads(doc)
        except ValueError:
            doc = json.loads(unquote(doc))
    principals = _caller_principals(access_key)
    allowed = False
    for stmt in _as_list(doc.get("Statement")):
        if not isinstance(stmt, dict):
            continue
        if not any(iam_match(a, "sts:AssumeRole", True) for a in _as_list(stmt.get("Action"))):
            continue
        principal = stmt.get("Principal")
        if principal == "*":
            named = True
        elif isinstance(principal, dict):
            named = any(p == "*" or p in principals for p in _as_list(principal.get("AWS")))
        else:
            named = False
        if not named or not _conditions_met(stmt.get("Condition"), context):
            continue
        if stmt.get("Effect") == "Deny":
            return False
        if stmt.get("Effect") == "Allow":
            allowed = True
    return allowed


_original_create_aws_request = access_control.IAMRequestBase._create_aws_request


def _create_aws_request(self: Any) -> Any:
    """AWS verifies a signature over the body as sent, empty for a GET. moto
    5.2.5 re-signed `_body or _data`, and with no body `_data` is the query
    string or even the headers, so every signed GET (Route 53, EKS reads)
    failed with SignatureDoesNotMatch. A form body the web framework has
    already parsed still comes from `_data`."""
    content_type = ""
    for name, value in (self._headers or {}).items():
        if name.lower() == "content-type":
            content_type = value
    if not self._body and "x-www-form-urlencoded" not in content_type:
        saved = self._data
        self._data = b""
        try:
            return _original_create_aws_request(self)
        finally:
            self._data = saved
    return _original_create_aws_request(self)


access_control.IAMRequestBase._create_aws_request = _create_aws_request


# --------------------------------------------------------------------------
# Request parameters and context
# --------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if hasattr(value, "original_dict"):
        value = value.original_dict()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def request_params(resp: Any) -> dict[str, Any]:
    """The request's parameters, whatever protocol carried them."""
    params: dict[str, Any] = {}
    if getattr(resp, "automated_parameter_parsing", False) and hasattr(resp, "params"):
        params.update(_plain(resp.params) or {})
    else:
        body = resp.body
        if isinstance(body, bytes):
            try:
                body = body.decode("utf-8")
            except UnicodeDecodeError:
                body = ""
        if isinstance(body, dict):
            params.update(body)
        elif body:
            try:
                loaded = json.loads(body)
                if isinstance(loaded, dict):
                    params.update(loaded)
            except ValueError:
                try:
                    params.update(_plain(resp._get_params()))
                except Exception:  # noqa: BLE001 - not a query body either
                    pass
    for key, value in (getattr(resp, "uri_match", None) or {}).items():
        params.setdefault(key, value)
    return params


def _base_context(region: str, account: str) -> dict[str, list[str]]:
    return {"aws:requestedregion": [region], "aws:principalaccount": [account]}


def request_tags(params: dict[str, Any]) -> dict[str, str] | None:
    """Tags a request carries (aws:RequestTag), from the shapes services use."""
    tags: dict[str, str] = {}
    found = False
    for spec in _as_list(params.get("TagSpecifications")) + _as_list(params.get("TagSpecification")):
        if isinstance(spec, dict):
            found = True
            for tag in _as_list(spec.get("Tags") or spec.get("Tag")):
                if isinstance(tag, dict) and "Key" in tag:
                    tags[tag["Key"]] = str(tag.get("Value", ""))
    for name in ("Tags", "tags", "TagList"):
        value = params.get(name)
        if isinstance(value, dict):
            found = True
            tags.update({k: str(v) for k, v in value.items()})
        elif isinstance(value, list):
            found = True
            for tag in value:
                if isinstance(tag, dict):
                    key = tag.get("Key", tag.get("TagKey", tag.get("key")))
                    if key is not None:
                        tags[key] = str(tag.get("Value", tag.get("TagValue", tag.get("value", ""))))
    return tags if found else None


def _tag_context(tags: dict[str, str] | None) -> dict[str, list[str]]:
    if not tags:
        return {}
    ctx = {f"aws:requesttag/{k.lower()}": [v] for k, v in tags.items()}
    ctx["aws:tagkeys"] = list(tags)
    return ctx


# --------------------------------------------------------------------------
# Resource ARNs per service
# --------------------------------------------------------------------------


class Target:
    """What a resolver returns: an ARN, the action if not the request's own,
    whether request tags apply to it, and how AWS prints it."""

    def __init__(self, arn: str, action: str | None = None, tagged: bool = True, shown: str | None = None, extra: dict[str, list[str]] | None = None):
        self.arn, self.action, self.tagged, self.shown, self.extra = arn, action, tagged, shown, extra or {}


EC2_ID_PREFIXES = sorted(
    {
        "i-": "instance", "vol-": "volume", "snap-": "snapshot", "sg-": "security-group",
        "subnet-": "subnet", "vpc-": "vpc", "ami-": "image", "eni-": "network-interface",
        "lt-": "launch-template", "igw-": "internet-gateway", "rtb-": "route-table",
        "acl-": "network-acl", "eipalloc-": "elastic-ip", "nat-": "natgateway",
        "dopt-": "dhcp-options", "key-": "key-pair", "vpce-": "vpc-endpoint",
        "pcx-": "vpc-peering-connection", "tgw-attach-": "transit-gateway-attachment",
        "tgw-rtb-": "transit-gateway-route-table", "tgw-": "transit-gateway", "fl-": "vpc-flow-log",
        "eigw-": "egress-only-internet-gateway", "sir-": "spot-instances-request",
        "fleet-": "fleet", "h-": "dedicated-host", "cgw-": "customer-gateway",
        "vgw-": "vpn-gateway", "vpn-": "vpn-connection", "pl-": "prefix-list",
        "eipassoc-": "elastic-ip", "ca-": "capacity-reservation",
    }.items(),
    key=lambda kv: -len(kv[0]),
)

EC2_PARAM_TYPES = {
    "InstanceId": "instance", "InstanceIds": "instance",
    "VolumeId": "volume", "VolumeIds": "volume", "SourceVolumeId": "volume",
    "SnapshotId": "snapshot", "SnapshotIds": "snapshot", "SourceSnapshotId": "snapshot", "SourceSnapshotIds": "snapshot",
    "GroupId": "security-group", "GroupIds": "security-group", "SecurityGroupId": "security-group",
    "SecurityGroupIds": "security-group", "Groups": "security-group",
    "SubnetId": "subnet", "SubnetIds": "subnet",
    "VpcId": "vpc", "VpcIds": "vpc",
    "ImageId": "image", "ImageIds": "image", "SourceImageId": "image",
    "NetworkInterfaceId": "network-interface", "NetworkInterfaceIds": "network-interface",
    "LaunchTemplateId": "launch-template",
    "KeyName": "key-pair",
    "AllocationId": "elastic-ip", "RouteTableId": "route-table",
    "InternetGatewayId": "internet-gateway", "NatGatewayId": "natgateway",
    "NetworkAclId": "network-acl", "Resources": None, "ResourceIds": None,
}

# What each Create-style action creates (resource types, ARN id "*").
EC2_CREATES = {
    "RunInstances": ["instance", "volume", "network-interface"],
    "CreateVolume": ["volume"],
    "CopyVolumes": ["volume"],
    "CreateSnapshot": ["snapshot"],
    "CreateSnapshots": ["snapshot"],
    "CopySnapshot": ["snapshot"],
    "CreateSecurityGroup": ["security-group"],
    "CreateVpc": ["vpc"],
    "CreateSubnet": ["subnet"],
    "CreateNetworkInterface": ["network-interface"],
    "CreateLaunchTemplate": ["launch-template"],
    "CreateImage": ["image", "snapshot"],
    "CopyImage": ["image"],
    "RegisterImage": ["image"],
    "CreateInternetGateway": ["internet-gateway"],
    "CreateRouteTable": ["route-table"],
    "AllocateAddress": ["elastic-ip"],
    "CreateNatGateway": ["natgateway"],
    "CreateNetworkAcl": ["network-acl"],
    "CreateFleet": ["fleet"],
    "CreateCoipPool": ["coip-pool"],
}

EC2_NO_ACCOUNT = {"image", "snapshot"}
# Parameters that name no resource the action is authorized against.
EC2_SKIP_KEYS = {"Filters", "Filter", "TagSpecifications", "TagSpecification", "Tags", "DryRun", "ClientToken", "LaunchTemplateData"}


def _ec2_arn(resp: Any, rtype: str, rid: str) -> str:
    account = "" if rtype in EC2_NO_ACCOUNT else resp.current_account
    return f"arn:{resp.partition}:ec2:{resp.region}:{account}:{rtype}/{rid}"


def _ec2_type_from_id(rid: str) -> str | None:
    for prefix, rtype in EC2_ID_PREFIXES:
        if rid.startswith(prefix):
            return rtype
    return None


def _ec2_walk(value: Any, found: list[tuple[str, str]], key: str | None = None) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            if k in EC2_SKIP_KEYS:
                continue
            _ec2_walk(v, found, k)
    elif isinstance(value, list):
        for v in value:
            _ec2_walk(v, found, key)
    elif isinstance(value, str) and key in EC2_PARAM_TYPES and value:
        rtype = EC2_PARAM_TYPES[key] or _ec2_type_from_id(value)
        if rtype:
            found.append((rtype, value))


# How the EC2 backend finds an existing resource of each type.
_EC2_LOOKUPS = {
    "instance": lambda b, rid: b.get_instance(rid),
    "volume": lambda b, rid: b.get_volume(rid),
    "snapshot": lambda b, rid: b.get_snapshot(rid),
    "security-group": lambda b, rid: b.get_security_group_from_id(rid),
    "launch-template": lambda b, rid: b.get_launch_template(rid),
    "network-interface": lambda b, rid: b.get_network_interface(rid),
    "subnet": lambda b, rid: b.get_subnet(rid),
    "vpc": lambda b, rid: b.get_vpc(rid),
}


def ec2_resource_tag_context(resp: Any, rtype: str, rid: str) -> dict[str, list[str]]:
    """AWS evaluates aws:ResourceTag/KEY and ec2:ResourceTag/KEY against the
    tags on the resource the request names ("Use this key to compare the tag
    key-value pair that you specify in the policy with the key-value pair
    attached to the resource", IAM global condition keys; EC2 authorizes
    each resource of a request with its own tags), so a grant conditioned
    on a tag allows a request on a resource so tagged and no other. moto
    5.2.5 left these conditions unevaluated (met everywhere). The context
    holds the resource's tags as it stores them (keys case-insensitive, as
    IAM reads condition keys), or nothing for a resource that does not exist
    (a made-up ID: left unevaluated, as before)."""
    backend = resp.ec2_backend
    lookup = _EC2_LOOKUPS.get(rtype)
    try:
        exists = lookup is not None and lookup(backend, rid) is not None
    except Exception:  # noqa: BLE001 - moto raises its own NotFound errors
        exists = False
    if not exists:
        return {}
    ctx: dict[str, list[str]] = {RESOURCE_TAGS_READ: ["true"]}
    for key, value in (backend.tags.get(rid) or {}).items():
        for prefix in RESOURCE_TAG_KEYS:
            ctx[f"{prefix}{key.lower()}"] = [value]
    return ctx


def _ec2_group_ids_by_name(resp: Any, names: list[str]) -> list[str]:
    ids = []
    for name in names:
        try:
            group = resp.ec2_backend.get_security_group_from_name(name)
        except Exception:  # noqa: BLE001
            group = None
        ids.append(group.id if group else "*")
    return ids


def resolve_ec2(resp: Any, action: str, params: dict[str, Any]) -> list[Target]:
    if action.startswith("Describe"):
        return [Target("*", tagged=False)]
    found: list[tuple[str, str]] = []
    _ec2_walk(params, found)
    if action in ("CreateSecurityGroup",):
        pass
    elif params.get("GroupName") and not any(t == "security-group" for t, _ in found):
        for gid in _ec2_group_ids_by_name(resp, [params["GroupName"]]):
            found.append(("security-group", gid))
    if action == "GetCoipPoolUsage" and params.get("PoolId"):
        # Authorized on the pool (Service Authorization Reference: coip-pool).
        found.append(("coip-pool", params["PoolId"]))
    if action == "DetachNetworkInterface" and params.get("AttachmentId"):
        # The attachment has no ARN: AWS authorizes the instance and the
        # interface it joins (Service Authorization Reference).
        for eni in resp.ec2_backend.describe_network_interfaces():
            attachment = getattr(eni, "attachment_id", None)
            if attachment == params["AttachmentId"] and eni.instance is not None:
                found += [("instance", eni.instance.id), ("network-interface", eni.id)]
    if action == "RunInstances":
        names = _as_list(params.get("SecurityGroups"))
        for gid in _ec2_group_ids_by_name(resp, names):
            found.append(("security-group", gid))
        if not any(t == "subnet" for t, _ in found):
            found.append(("subnet", "*"))
        if not any(t == "security-group" for t, _ in found):
            found.append(("security-group", "*"))
    targets: list[Target] = []
    for rtype in EC2_CREATES.get(action, []):
        targets.append(Target(_ec2_arn(resp, rtype, "*"), tagged=True))
    for rtype, rid in found:
        # Existing resources: request tags do not apply, except to the
        # resources CreateTags/DeleteTags tag; their own tags do.
        targets.append(
            Target(
                _ec2_arn(resp, rtype, rid),
                tagged=action in ("CreateTags", "DeleteTags"),
                extra=ec2_resource_tag_context(resp, rtype, rid),
            )
        )
    if not targets:
        targets.append(Target("*", tagged=True))
    # Tagging on create is authorized as ec2:CreateTags on each tagged
    # resource, with ec2:CreateAction naming the creating action.
    if action not in ("CreateTags", "DeleteTags"):
        for spec in _as_list(params.get("TagSpecifications")):
            rtype = spec.get("ResourceType") if isinstance(spec, dict) else None
            if rtype:
                targets.append(
                    Target(_ec2_arn(resp, rtype, "*"), action="CreateTags", tagged=True, extra={"ec2:createaction": [action]})
                )
    return targets


def _arn(resp: Any, service: str, resource: str, region: bool = True, account: str | None = None) -> str:
    return f"arn:{resp.partition}:{service}:{resp.region if region else ''}:{resp.current_account if account is None else account}:{resource}"


def resolve_secretsmanager(resp: Any, action: str, params: dict[str, Any]) -> list[Target]:
    from moto.secretsmanager.models import secretsmanager_backends

    secret_id = params.get("SecretId")
    if action == "CreateSecret" and params.get("Name"):
        name = params["Name"]
        target = Target(_arn(resp, "secretsmanager", f"secret:{name}-??????"), shown=name)
        # Tags on CreateSecret need secretsmanager:TagResource too.
        tag = Target(target.arn, action="TagResource", shown=name)
        return [target, tag] if params.get("Tags") else [target]
    if not secret_id:
        return [Target("*")]
    try:
        secret = secretsmanager_backends[resp.current_account][resp.region].secrets.get(secret_id)
    except Exception:  # noqa: BLE001
        secret = None
    if secret is not None:
        return [Target(secret.arn, shown=secret_id)]
    arn = secret_id if secret_id.startswith("arn:") else _arn(resp, "secretsmanager", f"secret:{secret_id}")
    return [Target(arn, shown=secret_id)]


def _ssm_arn(resp: Any, name: str) -> str:
    """A parameter's ARN. AWS's public parameters (/aws/service/...) are in
    no account: AWS gives their ARN without one ("ARN":
    "arn:aws:ssm:us-east-2::parameter/aws/service/ami-amazon-linux-latest/
    amzn2-ami-hvm-x86_64-gp2", Systems Manager User Guide, "Calling AMI
    public parameters"; the same path's Amazon Linux 2023 parameters, which
    irsa-verify reads, alike), and Karpenter's published policy grants
    ssm:GetParameter on "arn:...:ssm:REGION::parameter/aws/service/*" alone.
    moto 5.2.5 would authorize them in the caller's account."""
    # "name:3" or "name:label" selects a version; names hold no ":".
    if name.startswith("arn:"):
        head, _, tail = name.partition(":parameter/")
        return f"{head}:parameter/{tail.split(':', 1)[0]}"
    path = name.split(":", 1)[0].lstrip("/")
    account = "" if path.startswith("aws/service/") else None
    return _arn(resp, "ssm", f"parameter/{path}", account=account)


def resolve_ssm(resp: Any, action: str, params: dict[str, Any]) -> list[Target]:
    names = _as_list(params.get("Names")) or _as_list(params.get("Name"))
    if names:
        return [Target(_ssm_arn(resp, n)) for n in names]
    if params.get("Path"):
        return [Target(_ssm_arn(resp, params["Path"]))]
    if params.get("ResourceType") == "Parameter" and params.get("ResourceId"):
        return [Target(_ssm_arn(resp, params["ResourceId"]))]
    return [Target("*")]


def _kms_key_arn(resp: Any, key_id: str) -> str:
    from moto.kms.models import kms_backends

    backend = kms_backends[resp.current_account][resp.region]
    try:
        raw = backend.any_id_to_key_id(key_id)
        if raw in backend.keys:
            return backend.keys[raw].arn
    except Exception:  # noqa: BLE001
        pass
    if key_id.startswith("arn:"):
        return key_id
    if key_id.startswith("alias/"):
        return _arn(resp, "kms", key_id)
    return _arn(resp, "kms", f"key/{key_id}")


def _kms_key_from_ciphertext(params: dict[str, Any]) -> str | None:
    import base64

    from moto.kms.utils import KEY_ID_LEN

    blob = params.get("CiphertextBlob")
    if not blob:
        return None
    try:
        raw = base64.b64decode(blob)
        return raw[:KEY_ID_LEN].decode("ascii")
    except Exception:  # noqa: BLE001
        return None


def kms_key_exists(resp: Any, key_id: str | None) -> bool:
    from moto.kms.models import kms_backends

    if not key_id:
        return False
    backend = kms_backends[resp.current_account][resp.region]
    try:
        return backend.any_id_to_key_id(key_id) in backend.keys
    except Exception:  # noqa: BLE001
        return False


def kms_request_key(params: dict[str, Any]) -> str | None:
    return params.get("KeyId") or params.get("SourceKeyId") or _kms_key_from_ciphertext(params)


def resolve_kms(resp: Any, action: str, params: dict[str, Any]) -> list[Target]:
    if action == "ReEncrypt":
        source = params.get("SourceKeyId") or _kms_key_from_ciphertext(params)
        targets = []
        if source:
            targets.append(Target(_kms_key_arn(resp, source), action="ReEncryptFrom"))
        if params.get("DestinationKeyId"):
            targets.append(Target(_kms_key_arn(resp, params["DestinationKeyId"]), action="ReEncryptTo"))
        return targets or [Target("*")]
    if action in ("CreateAlias", "UpdateAlias", "DeleteAlias"):
        targets = [Target(_arn(resp, "kms", params["AliasName"]))] if params.get("AliasName") else []
        key = params.get("TargetKeyId")
        if key:
            targets.append(Target(_kms_key_arn(resp, key)))
        return targets or [Target("*")]
    key = params.get("KeyId") or _kms_key_from_ciphertext(params)
    if key and action not in ("ListAliases", "CreateKey", "ListKeys", "GenerateRandom"):
        return [Target(_kms_key_arn(resp, key))]
    return [Target("*")]


def _log_group_arn(resp: Any, name: str) -> str:
    if name.startswith("arn:"):
        return name[:-2] if name.endswith(":*") else name
    return _arn(resp, "logs", f"log-group:{name}")


def resolve_logs(resp: Any, action: str, params: dict[str, Any]) -> list[Target]:
    group = params.get("logGroupName") or params.get("logGroupIdentifier")
    if not group:
        if action == "DescribeLogGroups":
            return [Target(_arn(resp, "logs", "log-group:" + LOGS_GROUP_SUFFIX))]
        return [Target("*")]
    arn = _log_group_arn(resp, group)
    stream = params.get("logStreamName")
    if stream:
        return [Target(f"{arn}:log-stream:{stream}")]
    targets = [Target(arn + LOGS_GROUP_SUFFIX)]
    if action == "CreateLogGroup" and params.get("tags"):
        # "not authorized to perform CreateLogGroup with Tags": tagging on
        # create needs logs:TagResource too.
        targets.append(Target(arn + LOGS_GROUP_SUFFIX, action="TagResource"))
    return targets


def elbv2_resource_tag_context(resp: Any, arn: str) -> dict[str, list[str]]:
    """AWS evaluates aws:ResourceTag/KEY against the tags on the load
    balancer, target group, listener or rule the request names ("Use this key
    to compare the tag key-value pair that you specify in the policy with the
    key-value pair attached to the resource", IAM global condition keys; the
    Service Authorization Reference lists aws:ResourceTag/${TagKey} for each
    ELBv2 resource type), so the load balancer controller's grants on
    resources tagged elbv2.k8s.aws/cluster allow a request on a resource so
    tagged and no other. moto 5.2.5 left the condition unevaluated (met
    everywhere: DeleteLoadBalancer on a made-up ARN was allowed). The context
    holds the tags moto stores for the ARN (keys case-insensitive, as IAM
    reads condition keys); an ARN that names nothing carries no tag, so a
    condition asking for one is not met (IAM: a key absent from the request
    context does not match), where EC2's made-up IDs stay unevaluated."""
    from moto.elbv2.models import elbv2_backends

    backend = elbv2_backends[resp.current_account][resp.region]
    ctx: dict[str, list[str]] = {RESOURCE_TAGS_READ: ["true"]}
    for key, value in (backend.tagging_service.get_tag_dict_for_resource(arn) or {}).items():
        ctx[f"aws:resourcetag/{key.lower()}"] = [value]
    return ctx


def resolve_elbv2(resp: Any, action: str, params: dict[str, Any]) -> list[Target]:
    if action.startswith("Describe"):
        return [Target("*")]
    arns: list[str] = []
    for key in ("LoadBalancerArn", "TargetGroupArn", "ListenerArn", "RuleArn"):
        if params.get(key):
            arns.append(params[key])
    for key in ("ResourceArns", "RuleArns"):
        arns.extend(_as_list(params.get(key)))
    # SetRulePriorities names its rules inside RulePriorities; AWS authorizes
    # each rule's ARN (Service Authorization Reference: listener-rule/app,
    # listener-rule/net), where moto 5.2.5 authorized against "*".
    for pair in _as_list(params.get("RulePriorities")):
        if isinstance(pair, dict) and pair.get("RuleArn"):
            arns.append(pair["RuleArn"])
    # The resources named exist (or not) now: their own tags are read.
    named = [Target(a, extra=elbv2_resource_tag_context(resp, a)) for a in dict.fromkeys(arns)]
    if action == "CreateLoadBalancer" and params.get("Name"):
        kind = {"network": "net", "gateway": "gwy"}.get(str(params.get("Type", "application")), "app")
        named.append(Target(_arn(resp, "elasticloadbalancing", f"loadbalancer/{kind}/{params['Name']}/*")))
    if action == "CreateTargetGroup" and params.get("Name"):
        named.append(Target(_arn(resp, "elasticloadbalancing", f"targetgroup/{params['Name']}/*")))
    return named or [Target("*")]


def resolve_autoscaling(resp: Any, action: str, params: dict[str, Any]) -> list[Target]:
    from moto.autoscaling.models import autoscaling_backends

    if action.startswith("Describe"):
        return [Target("*")]
    backend = autoscaling_backends[resp.current_account][resp.region]
    targets: list[Target] = []
    group = params.get("AutoScalingGroupName")
    if group:
        existing = backend.autoscaling_groups.get(group)
        arn = existing.arn if existing is not None else _arn(resp, "autoscaling", f"autoScalingGroup:*:autoScalingGroupName/{group}")
        targets.append(Target(arn))
    config = params.get("LaunchConfigurationName")
    if config:
        existing = backend.launch_configurations.get(config)
        arn = existing.arn if existing is not None else _arn(resp, "autoscaling", f"launchConfiguration:*:launchConfigurationName/{config}")
        targets.append(Target(arn))
    for tag in _as_list(params.get("Tags")):
        if isinstance(tag, dict) and tag.get("ResourceType") == "auto-scaling-group" and tag.get("ResourceId"):
            name = tag["ResourceId"]
            existing = backend.autoscaling_groups.get(name)
            targets.append(Target(existing.arn if existing is not None else _arn(resp, "autoscaling", f"autoScalingGroup:*:autoScalingGroupName/{name}")))
    return targets or [Target("*")]


def resolve_eks(resp: Any, action: str, params: dict[str, Any]) -> list[Target]:
    from moto.eks.models import eks_backends

    if params.get("resourceArn"):
        return [Target(params["resourceArn"])]
    cluster = params.get("clusterName") or params.get("name")
    if action in ("CreateCluster",):
        cluster = params.get("name")
    if not cluster or action in ("ListClusters",):
        return [Target("*")]
    backend = eks_backends[resp.current_account][resp.region]
    existing = backend.clusters.get(cluster)
    cluster_arn = existing.arn if existing is not None else _arn(resp, "eks", f"cluster/{cluster}")
    nodegroup = params.get("nodegroupName")
    if nodegroup:
        ng = existing.nodegroups.get(nodegroup) if existing is not None else None
        return [Target(ng.arn if ng is not None else _arn(resp, "eks", f"nodegroup/{cluster}/{nodegroup}/*"))]
    profile = params.get("fargateProfileName")
    if profile:
        fp = existing.fargate_profiles.get(profile) if existing is not None else None
        return [Target(fp.arn if fp is not None else _arn(resp, "eks", f"fargateprofile/{cluster}/{profile}/*"))]
    return [Target(cluster_arn)]


def resolve_ecr(resp: Any, action: str, params: dict[str, Any]) -> list[Target]:
    account = params.get("registryId") or resp.current_account
    names = _as_list(params.get("repositoryName")) or _as_list(params.get("repositoryNames"))
    if action == "GetAuthorizationToken":
        return [Target("*")]
    if not names:
        # A listing is authorized against every repository of the registry.
        return [Target(_arn(resp, "ecr", "repository/*", account=account))] if action == "DescribeRepositories" else [Target("*")]
    return [Target(_arn(resp, "ecr", f"repository/{n}", account=account)) for n in names]


def route53_change_context(resp: Any) -> dict[str, list[str]]:
    """The condition keys of a ChangeResourceRecordSets request, read from
    its change batch: each change's action and record type, and its record
    name normalized ("converted to lowercase and the trailing dot removed",
    https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/specifying-rrset-conditions.html).
    moto 5.2.5 filled none, so a grant conditioned on them was always met."""
    import re as _re

    body = resp.body.decode("utf-8", "replace") if isinstance(resp.body, bytes) else str(resp.body or "")
    changes = _re.findall(r"<Change>(.*?)</Change>", body, _re.S)
    first = lambda element, change: (_re.findall(rf"<{element}>\s*([^<]*?)\s*</{element}>", change) or [""])[0]  # noqa: E731
    return {
        "route53:changeresourcerecordsetsactions": [first("Action", c) for c in changes],
        "route53:changeresourcerecordsetsrecordtypes": [first("Type", c) for c in changes],
        "route53:changeresourcerecordsetsnormalizedrecordnames": [first("Name", c).lower().rstrip(".") for c in changes],
    }


def resolve_route53(resp: Any, action: str, params: dict[str, Any]) -> list[Target]:
    def hz(zone: str) -> str:
        return f"arn:{resp.partition}:route53:::hostedzone/{zone.split('/')[-1]}"

    if action == "ListTagsForResources":
        # AWS authorizes each resource the XML body lists (the path names the type).
        import re as _re

        body = resp.body.decode("utf-8", "replace") if isinstance(resp.body, bytes) else str(resp.body or "")
        kind = "healthcheck" if "/tags/healthcheck" in getattr(resp, "path", "") else "hostedzone"
        ids = _re.findall(r"<ResourceId>\s*([^<\s]+)\s*</ResourceId>", body)
        if ids:
            return [Target(f"arn:{resp.partition}:route53:::{kind}/{i.split('/')[-1]}") for i in ids]
    if params.get("ResourceType") and params.get("ResourceId"):
        kind = "hostedzone" if params["ResourceType"] == "hostedzone" else "healthcheck"
        return [Target(f"arn:{resp.partition}:route53:::{kind}/{params['ResourceId']}")]
    zone = params.get("HostedZoneId") or (params.get("Id") if action not in ("GetChange", "GetHealthCheck") else None)
    if action == "ChangeResourceRecordSets" and zone:
        return [Target(hz(zone), extra=route53_change_context(resp))]
    if action == "GetChange" and params.get("Id"):
        return [Target(f"arn:{resp.partition}:route53:::change/{params['Id'].split('/')[-1]}")]
    if params.get("HealthCheckId"):
        return [Target(f"arn:{resp.partition}:route53:::healthcheck/{params['HealthCheckId']}")]
    if zone:
        return [Target(hz(zone))]
    return [Target("*")]


def resolve_sns(resp: Any, action: str, params: dict[str, Any]) -> list[Target]:
    for key in ("TopicArn", "TargetArn", "ResourceArn"):
        if params.get(key):
            return [Target(params[key])]
    if params.get("SubscriptionArn"):
        return [Target(params["SubscriptionArn"].rsplit(":", 1)[0])]
    if action == "CreateTopic" and params.get("Name"):
        return [Target(_arn(resp, "sns", params["Name"]))]
    return [Target("*")]


def resolve_sqs(resp: Any, action: str, params: dict[str, Any]) -> list[Target]:
    url = params.get("QueueUrl")
    if url:
        parts = urlparse(url).path.strip("/").split("/") if "://" in url else [resp.current_account, url]
        if len(parts) >= 2:
            return [Target(f"arn:{resp.partition}:sqs:{resp.region}:{parts[-2]}:{parts[-1]}")]
        return [Target(_arn(resp, "sqs", parts[-1]))]
    if params.get("QueueName") and action in ("CreateQueue", "GetQueueUrl"):
        account = params.get("QueueOwnerAWSAccountId") or resp.current_account
        return [Target(_arn(resp, "sqs", params["QueueName"], account=account))]
    return [Target("*")]


def resolve_sts(resp: Any, action: str, params: dict[str, Any]) -> list[Target]:
    # The identity policy is checked against the role to be assumed, and
    # then the role's trust policy (trust_allows).
    if action == "AssumeRole" and params.get("RoleArn"):
        return [Target(params["RoleArn"])]
    return [Target("*")]


def resolve_acm(resp: Any, action: str, params: dict[str, Any]) -> list[Target]:
    if params.get("CertificateArn"):
        return [Target(params["CertificateArn"])]
    return [Target("*")]


def resolve_dynamodb(resp: Any, action: str, params: dict[str, Any]) -> list[Target]:
    def table_arn(table: str) -> str:
        return table if table.startswith("arn:") else _arn(resp, "dynamodb", f"table/{table}")

    if params.get("TableName") and params.get("IndexName"):
        # Query/Scan on an index is authorized against the index's ARN.
        return [Target(f"{table_arn(params['TableName'])}/index/{params['IndexName']}")]
    tables = _as_list(params.get("TableName"))
    tables += list((params.get("RequestItems") or {}).keys())
    for item in _as_list(params.get("TransactItems")):
        for op in (item or {}).values():
            if isinstance(op, dict) and op.get("TableName"):
                tables.append(op["TableName"])
    if params.get("ResourceArn"):
        tables.append(params["ResourceArn"])
    return [Target(table_arn(t)) for t in dict.fromkeys(tables)] or [Target("*")]


def resolve_iam(resp: Any, action: str, params: dict[str, Any]) -> list[Target] | None:
    """Server certificates and instance profiles by their ARN (path
    included); every other IAM action keeps moto's own resource (a role's
    ARN, else "*")."""
    profile = params.get("InstanceProfileName")
    if profile and action != "CreateInstanceProfile":
        from moto.iam.models import iam_backends

        try:
            arn = iam_backends[resp.current_account][resp.partition].get_instance_profile(profile).arn
            return [Target(arn, shown=arn)]
        except Exception:  # noqa: BLE001 - no such profile: its ARN without a path
            return [Target(f"arn:{resp.partition}:iam::{resp.current_account}:instance-profile/{profile}")]
    name = params.get("ServerCertificateName")
    if not name or "ServerCertificate" not in action or action == "UploadServerCertificate":
        return None
    from moto.iam.models import iam_backends

    try:
        cert = iam_backends[resp.current_account][resp.partition].get_server_certificate(name)
        return [Target(cert.arn, shown=cert.arn)]
    except Exception:  # noqa: BLE001 - no such certificate: its ARN without a path
        return [Target(f"arn:{resp.partition}:iam::{resp.current_account}:server-certificate/{name}")]


def resolve_wafv2(resp: Any, action: str, params: dict[str, Any]) -> list[Target] | None:
    """GetWebACLForResource is authorized against the web ACL (the Service
    Authorization Reference's required resource): the one associated with the
    resource, else any regional web ACL of the account. GetWebACL by ARN is
    authorized against that ARN."""
    if action == "GetWebACL" and params.get("ARN"):
        # Named by its ARN: authorized against that web ACL.
        return [Target(params["ARN"])]
    if action != "GetWebACLForResource":
        return None
    from moto.wafv2.models import wafv2_backends

    try:
        backend = wafv2_backends[resp.current_account][resp.region]
        for acl in backend.wacls.values():
            if params.get("ResourceArn") in (getattr(acl, "associated_resources", None) or []):
                return [Target(acl.arn)]
    except Exception:  # noqa: BLE001 - fall back to the pattern below
        pass
    return [Target(_arn(resp, "wafv2", "regional/webacl/*/*"))]


def resolve_efs(resp: Any, action: str, params: dict[str, Any]) -> list[Target] | None:
    """EFS authorizes a request on the file system it names: FileSystemId (an
    ID or the file system's ARN), else the file system of the mount target
    or access point named ("This operation requires permissions for the
    elasticfilesystem:DescribeMountTargets action, on either the file system
    ID that you specify in FileSystemId, or on the file system of the mount
    target that you specify in MountTargetId", EFS API reference). A listing
    that names none (DescribeFileSystems, DescribeAccessPoints) keeps "*",
    the Service Authorization Reference's file system being optional for
    them. moto 5.2.5 authorized every EFS request against "*", so a grant
    on a file system's ARN never matched and one on another's never failed."""
    from moto.efs.models import efs_backends

    query = getattr(resp, "querystring", None) or {}

    def named(key: str) -> str | None:
        value = params.get(key) or (query.get(key) or [None])[0]
        return str(value) if value else None

    def file_system_arn(fs: str) -> str:
        return fs if fs.startswith("arn:") else _arn(resp, "elasticfilesystem", f"file-system/{fs}")

    if action == "CreateFileSystem":
        return None
    fs = named("FileSystemId")
    if fs:
        return [Target(file_system_arn(fs))]
    backend = efs_backends[resp.current_account][resp.region]
    mount_target = named("MountTargetId")
    if mount_target and mount_target in backend.mount_targets_by_id:
        return [Target(file_system_arn(backend.mount_targets_by_id[mount_target].file_system_id))]
    access_point = (named("AccessPointId") or "").rsplit("/", 1)[-1]
    if access_point and access_point in backend.access_points:
        return [Target(file_system_arn(backend.access_points[access_point].file_system_id))]
    return None


def resolve_cognito_idp(resp: Any, action: str, params: dict[str, Any]) -> list[Target] | None:
    """A request naming a user pool (UserPoolId) is authorized on that pool's
    ARN, the Service Authorization Reference's required resource for
    DescribeUserPoolClient and the pool's other operations
    (arn:${Partition}:cognito-idp:${Region}:${Account}:userpool/${UserPoolId});
    moto 5.2.5 authorized every Cognito request against "*", so a grant on
    one pool matched every pool."""
    pool = params.get("UserPoolId")
    if not pool:
        return None
    return [Target(_arn(resp, "cognito-idp", f"userpool/{pool}"))]


def resolve_shield(resp: Any, action: str, params: dict[str, Any]) -> list[Target] | None:
    """DescribeProtection is authorized on the protection (the Service
    Authorization Reference's required resource,
    arn:${Partition}:shield::${Account}:protection/${Id}): the one named by
    ProtectionId, or the one protecting the ResourceArn named. moto 5.2.5
    authorized it against "*", so a grant on one protection matched every
    one. A ResourceArn nothing protects keeps "*" (AWS's resource for it is
    not documented)."""
    if action != "DescribeProtection":
        return None
    if params.get("ProtectionId"):
        return [Target(_arn(resp, "shield", f"protection/{params['ProtectionId']}", region=False))]
    from moto.shield.models import shield_backends

    backend = shield_backends[resp.current_account][resp.partition]
    for protection in backend.protections.values():
        if protection.resource_arn == params.get("ResourceArn"):
            return [Target(protection.protection_arn)]
    return None


RESOLVERS = {
    "ec2": resolve_ec2,
    "shield": resolve_shield,
    "cognito-idp": resolve_cognito_idp,
    "iam": resolve_iam,
    "wafv2": resolve_wafv2,
    "secretsmanager": resolve_secretsmanager,
    "ssm": resolve_ssm,
    "kms": resolve_kms,
    "logs": resolve_logs,
    "elbv2": resolve_elbv2,
    "autoscaling": resolve_autoscaling,
    "eks": resolve_eks,
    "ecr": resolve_ecr,
    "route53": resolve_route53,
    "sns": resolve_sns,
    "sqs": resolve_sqs,
    "acm": resolve_acm,
    "sts": resolve_sts,
    "dynamodb": resolve_dynamodb,
    "efs": resolve_efs,
}


def _signing_name(resp: Any) -> str | None:
    auth = resp.headers.get("Authorization", "") if resp.headers else ""
    m = re.search(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/", auth)
    return m.group(1) if m else None


def request_checks(resp: Any, fallback: str) -> Checks:
    """The checks IAM makes for this request."""
    action = resp._get_action()
    if isinstance(action, list):
        action = action[0]
    signing = _signing_name(resp) or resp.service_name
    prefix = IAM_PREFIX.get(signing, signing)
    base = _base_context(resp.region, resp.current_account)
    resolver = RESOLVERS.get(resp.service_name)
    params = request_params(resp) if resolver is not None else {}
    targets = resolver(resp, action, params) if resolver is not None else None
    if not targets:
        return Checks([Check(f"{prefix}:{action}", fallback, base)])
    tag_ctx = _tag_context(request_tags(params))
    checks = Checks()
    for target in targets:
        ctx = dict(base)
        if target.tagged:
            ctx.update(tag_ctx)
        ctx.update(target.extra)
        checks.append(Check(f"{prefix}:{target.action or action}", target.arn, ctx, target.shown))
    return checks


# --------------------------------------------------------------------------
# Denials and DryRun answers in each service's shape
# --------------------------------------------------------------------------


def _xml_error(code: str, message: str, request_id: str, xmlns: str = "") -> str:
    ns = f' xmlns="{xmlns}"' if xmlns else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse{ns}><Error><Type>Sender</Type>'
        f"<Code>{code}</Code><Message>{escape(message)}</Message></Error>"
        f"<RequestId>{request_id}</RequestId></ErrorResponse>"
    )


def _is_json_request(resp: Any) -> bool:
    ctype = resp.headers.get("Content-Type", "") or ""
    return "json" in ctype or bool(resp.headers.get("X-Amz-Target"))


def shaped_denial(resp: Any, denied: Denied) -> tuple[int, dict[str, str], str]:
    """AWS's answer to a denied request, in the service's own protocol."""
    rid = str(uuid.uuid4())
    headers = {"x-amzn-RequestId": rid, "server": "amazon.com"}
    service = resp.service_name
    message = denied.message
    if service == "ec2":
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>UnauthorizedOperation</Code>'
            f"<Message>{escape('You are not authorized to perform this operation. ' + message + '. Encoded authorization failure message: ' + _encoded_failure(denied))}</Message>"
            f"</Error></Errors><RequestID>{rid}</RequestID></Response>"
        )
        return 403, dict(headers, **{"Content-Type": "text/xml;charset=UTF-8"}), body
    if service == "sns":
        message = message.replace(f"perform: {denied.check.action}", "perform: " + denied.check.action.replace("sns:", "SNS:", 1))
        message = message.replace(f"allows the {denied.check.action} action", "allows the " + denied.check.action.replace("sns:", "SNS:", 1) + " action")
        return 403, dict(headers, **{"Content-Type": "text/xml"}), _xml_error("AuthorizationError", message, rid, "http://sns.amazonaws.com/doc/2010-03-31/")
    if service == "sqs":
        if _is_json_request(resp):
            headers.update({"Content-Type": "application/x-amz-json-1.0", "x-amzn-query-error": "AccessDenied;Sender", "X-Amzn-ErrorType": "AccessDeniedException"})
            return 403, headers, json.dumps({"__type": "com.amazon.coral.service#AccessDeniedException", "message": message})
        return 403, dict(headers, **{"Content-Type": "text/xml"}), _xml_error("AccessDenied", message, rid, "http://queue.amazonaws.com/doc/2012-11-05/")
    if service == "dynamodb":
        headers.update({"Content-Type": "application/x-amz-json-1.0", "X-Amzn-ErrorType": "AccessDeniedException"})
        return 400, headers, json.dumps({"__type": "com.amazonaws.dynamodb.v20120810#AccessDeniedException", "message": message})
    try:
        model = get_service_model(resp.boto3_service_name)
        protocol, json_version = model.protocol, model.metadata.get("jsonVersion", "1.1")
        protocols = model.metadata.get("protocols") or [protocol]
    except Exception:  # noqa: BLE001
        protocol, json_version, protocols = "query", "1.1", ["query"]
    if resp.headers.get("X-Amz-Target") and "json" in protocols:
        # A service that speaks several protocols (Shield: CBOR and awsJson
        # 1.1) answers in the one the request used.
        protocol = "json"
    if protocol == "json":
        headers.update({"Content-Type": f"application/x-amz-json-{json_version}", "X-Amzn-ErrorType": "AccessDeniedException"})
        return 400, headers, json.dumps({"__type": "AccessDeniedException", "message": message})
    if protocol == "rest-json":
        headers.update({"Content-Type": "application/json", "X-Amzn-ErrorType": "AccessDeniedException"})
        return 403, headers, json.dumps({"message": message})
    xmlns = "https://route53.amazonaws.com/doc/2013-04-01/" if service == "route53" else ""
    return 403, dict(headers, **{"Content-Type": "text/xml"}), _xml_error("AccessDenied", message, rid, xmlns)


def _encoded_failure(denied: Denied) -> str:
    import base64

    raw = json.dumps({"allowed": False, "explicitDeny": denied.explicit, "action": denied.check.action, "resource": denied.check.resource})
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


class _Answered(HTTPException):
    """Stops moto's handling once this module has the answer."""

    code = 400
    description = ""


def _auth_enabled() -> bool:
    return authorization.ActionAuthenticatorMixin.request_count >= settings.INITIAL_NO_AUTH_ACTION_COUNT


_original_normal = authorization.ActionAuthenticatorMixin._authenticate_and_authorize_normal_action


def _authenticate_and_authorize_normal_action(self: Any, resource: str = "*") -> None:
    """IAM authorizes each request against the ARNs it names and answers a
    denial in the service's own error shape with AWS's message. moto 5.2.5
    authorized against "*" and answered every denial as an XML 403
    AccessDenied without the resource or the reason."""
    if not _auth_enabled() or "Authorization" not in (self.headers or {}):
        _original_normal(self, resource)
        return _stand_in(self)
    try:
        checks = request_checks(self, resource)
    except Exception:  # noqa: BLE001 - a request this module cannot map keeps moto's resource
        checks = resource
    try:
        _original_normal(self, checks)
    except Denied as denied:
        self._fidelity_answer = shaped_denial(self, denied)
        raise _Answered() from None
    if self.service_name == "kms":
        _kms_dry_run(self)
    elif self.service_name == "ec2":
        _ec2_dry_run(self)
    _stand_in(self)


@functools.lru_cache(maxsize=1024)
def _ec2_handler_honours_dry_run(cls: type, action: str) -> bool:
    import inspect

    from moto.core.utils import camelcase_to_underscores

    method = getattr(cls, camelcase_to_underscores(action), None)
    if method is None:
        return False
    try:
        return "error_on_dryrun" in inspect.getsource(method)
    except (OSError, TypeError):
        return True


def _ec2_dry_run(resp: Any) -> None:
    """EC2 answers every authorized DryRun request with 412 DryRunOperation.
    moto 5.2.5's handlers for some actions (DescribeVolumes,
    DescribeSecurityGroups, DescribeInstanceTypes, ...) ignore DryRun and
    answer 200, and actions it does not implement answer 500. Handlers that
    check DryRun themselves are left to do so, after their own validation."""
    params = request_params(resp)
    if str(params.get("DryRun")).lower() != "true":
        return
    action = resp._get_action()
    if _ec2_handler_honours_dry_run(type(resp), action):
        return
    rid = str(uuid.uuid4())
    resp._fidelity_answer = (
        412,
        {"Content-Type": "text/xml;charset=UTF-8", "x-amzn-RequestId": rid},
        '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>DryRunOperation</Code>'
        "<Message>Request would have succeeded, but DryRun flag is set.</Message></Error></Errors>"
        f"<RequestID>{rid}</RequestID></Response>",
    )
    raise _Answered()


def _kms_dry_run(resp: Any) -> None:
    """KMS answers an authorized DryRun request with DryRunOperationException
    (HTTP 412) and does nothing; moto 5.2.5 ignored DryRun and ran the
    operation. A key that does not exist is left to moto's NotFoundException."""
    params = request_params(resp)
    if params.get("DryRun") is not True and str(params.get("DryRun")).lower() != "true":
        return
    key = kms_request_key(params)
    if key and not kms_key_exists(resp, key):
        return
    rid = str(uuid.uuid4())
    resp._fidelity_answer = (
        412,
        {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": rid, "X-Amzn-ErrorType": "DryRunOperationException"},
        json.dumps({"__type": "DryRunOperationException", "message": "The request would have succeeded, but the DryRun option is set."}),
    )
    raise _Answered()


authorization.ActionAuthenticatorMixin._authenticate_and_authorize_normal_action = _authenticate_and_authorize_normal_action

_original_call_action = BaseResponse.call_action


def _call_action(self: Any) -> Any:
    self._fidelity_answer = None
    result = _original_call_action(self)
    if self._fidelity_answer is not None:
        return self._fidelity_answer
    return result


BaseResponse.call_action = _call_action


# --------------------------------------------------------------------------
# Signatures over form bodies as sent
# --------------------------------------------------------------------------

RAW_FORM_BODY = "irsa_verify.raw_form_body"


def _keep_form_body(app_cls: Any) -> None:
    original_call = app_cls.__call__

    def __call__(self: Any, environ: dict[str, Any], start_response: Any) -> Any:
        import io

        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length and (environ.get("CONTENT_TYPE") or "").startswith("application/x-www-form-urlencoded"):
            body = environ["wsgi.input"].read(length)
            environ["wsgi.input"] = io.BytesIO(body)
            environ[RAW_FORM_BODY] = body
        return original_call(self, environ, start_response)

    app_cls.__call__ = __call__


_original_setup_class = BaseResponse.setup_class


def _setup_class(self: Any, request: Any, *args: Any, **kwargs: Any) -> None:
    """AWS checks a query-protocol request's signature over the body bytes it
    received, so a space may travel as `%20` (the Rust SDK's query writer) or
    `+` (botocore). moto 5.2.5 let werkzeug parse the form body, kept no
    bytes, and re-encoded the parsed parameters with `+` to check the
    signature: a signed `%20` failed with SignatureDoesNotMatch (AuthFailure
    on EC2). The server keeps the bytes as they arrived, and the signature is
    checked against them."""
    _original_setup_class(self, request, *args, **kwargs)
    try:
        body = request.environ.get(RAW_FORM_BODY)
    except Exception:  # noqa: BLE001 - not a WSGI request
        body = None
    if body and not self.raw_body:
        self.raw_body = body


BaseResponse.setup_class = _setup_class


def _patch_server() -> None:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    _keep_form_body(DomainDispatcherApplication)


_patch_server()


# --------------------------------------------------------------------------
# Stand-ins for operations moto 5.2.5 lacks
# --------------------------------------------------------------------------
#
# Each answers only once moto's IAM authorization (patched above) has allowed
# the request, and only while moto itself has no handler for the operation;
# the answer is the operation's result as botocore's service model shapes it,
# empty unless the emulator holds what it would list. Each is named a
# stand-in in its docstring.

STAND_INS: dict[tuple[str, str], Any] = {}


def stand_in(service: str, action: str) -> Any:
    def register(fn: Any) -> Any:
        STAND_INS[(service, action)] = fn
        return fn

    return register


def _moto_handles(resp: Any, action: str) -> bool:
    from moto.core.utils import camelcase_to_underscores

    return callable(getattr(type(resp), camelcase_to_underscores(action), None))


def _stand_in(resp: Any) -> None:
    try:
        action = resp._get_action()
    except Exception:  # noqa: BLE001 - moto answers what it cannot route
        return
    fn = STAND_INS.get((resp.service_name, action))
    if fn is None or _moto_handles(resp, action):
        return
    resp._fidelity_answer = fn(resp, request_params(resp))
    raise _Answered()


def _xml_value(shape: Any, value: Any, name: str, ec2: bool) -> str:
    tag = escape(name)
    if shape.type_name == "structure":
        inner = "".join(
            _xml_value(member, value[key], member.serialization.get("name", key), ec2)
            for key, member in shape.members.items()
            if isinstance(value, dict) and value.get(key) is not None
        )
        return f"<{tag}>{inner}</{tag}>"
    if shape.type_name == "list":
        item = "item" if ec2 else shape.member.serialization.get("name", "member")
        inner = "".join(_xml_value(shape.member, v, item, ec2) for v in value)
        return f"<{tag}>{inner}</{tag}>" if inner else f"<{tag}/>"
    if shape.type_name == "boolean":
        return f"<{tag}>{'true' if value else 'false'}</{tag}>"
    return f"<{tag}>{escape(str(value))}</{tag}>"


def shaped_result(resp: Any, action: str, values: dict[str, Any] | None = None) -> tuple[int, dict[str, str], str]:
    """A 200 answer to `action` in its service's protocol, holding `values`
    (keyed by the model's member names) and an empty list for every other
    list member of the output shape, as AWS sends them."""
    model = get_service_model(resp.boto3_service_name)
    output = model.operation_model(action).output_shape
    values = dict(values or {})
    if output is not None:
        for key, member in output.members.items():
            if member.type_name == "list":
                values.setdefault(key, [])
    rid = str(uuid.uuid4())
    protocols = model.metadata.get("protocols") or [model.protocol]
    if resp.headers.get("X-Amz-Target") and "json" in protocols:
        version = model.metadata.get("jsonVersion", "1.1")
        return 200, {"Content-Type": f"application/x-amz-json-{version}", "x-amzn-RequestId": rid}, json.dumps(values)
    if model.protocol == "rest-json":
        return 200, {"Content-Type": "application/json", "x-amzn-RequestId": rid}, json.dumps(values)
    ec2 = model.protocol == "ec2"
    members = ""
    if output is not None:
        members = "".join(
            _xml_value(member, values[key], member.serialization.get("name", key), ec2)
            for key, member in output.members.items()
            if values.get(key) is not None
        )
    xmlns = model.metadata.get("xmlNamespace", "").rstrip("/") + "/"
    if ec2:
        body = f'<?xml version="1.0" encoding="UTF-8"?>\n<{action}Response xmlns="{xmlns}"><requestId>{rid}</requestId>{members}</{action}Response>'
        return 200, {"Content-Type": "text/xml;charset=UTF-8", "x-amzn-RequestId": rid}, body
    wrapper = (output.serialization.get("resultWrapper") if output is not None else None) or f"{action}Result"
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<{action}Response xmlns="{xmlns}"><{wrapper}>{members}</{wrapper}>'
        f"<ResponseMetadata><RequestId>{rid}</RequestId></ResponseMetadata></{action}Response>"
    )
    return 200, {"Content-Type": "text/xml", "x-amzn-RequestId": rid}, body


def _ec2_error(code: str, message: str) -> tuple[int, dict[str, str], str]:
    rid = str(uuid.uuid4())
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>{code}</Code><Message>{escape(message)}</Message>'
        f"</Error></Errors><RequestID>{rid}</RequestID></Response>"
    )
    return 400, {"Content-Type": "text/xml;charset=UTF-8", "x-amzn-RequestId": rid}, body


def _coip_pools(resp: Any) -> list[dict[str, Any]]:
    """The customer-owned IP pools the emulator holds, kept on the EC2
    backend of the account and region (so a reset forgets them)."""
    backend = resp.ec2_backend
    pools = getattr(backend, "_fidelity_coip_pools", None)
    if pools is None:
        pools = []
        backend._fidelity_coip_pools = pools
    return pools


@stand_in("ec2", "CreateCoipPool")
def _create_coip_pool(resp: Any, params: dict[str, Any]) -> tuple[int, dict[str, str], str]:
    """Stand-in: moto 5.2.5 lacks ec2:CreateCoipPool (customer-owned IP pools
    exist only with Outposts); holds a pool on the local gateway route table
    named, with no CIDR, and answers the documented result. Only the
    scenario's seeding calls it."""
    pool_id = f"ipv4pool-coip-{uuid.uuid4().hex[:17]}"
    pool = {
        "PoolId": pool_id, "PoolCidrs": [], "LocalGatewayRouteTableId": params.get("LocalGatewayRouteTableId"),
        "PoolArn": _ec2_arn(resp, "coip-pool", pool_id),
    }
    _coip_pools(resp).append(pool)
    return shaped_result(resp, "CreateCoipPool", {"CoipPool": pool})


@stand_in("ec2", "DescribeCoipPools")
def _describe_coip_pools(resp: Any, params: dict[str, Any]) -> tuple[int, dict[str, str], str]:
    """Stand-in: moto 5.2.5 lacks ec2:DescribeCoipPools; answers the
    documented result with the pools CreateCoipPool made (none unless the
    scenario seeded one: they exist only on Outposts). Filters and PoolIds
    are not applied."""
    return shaped_result(resp, "DescribeCoipPools", {"CoipPools": list(_coip_pools(resp))})


@stand_in("ec2", "GetCoipPoolUsage")
def _get_coip_pool_usage(resp: Any, params: dict[str, Any]) -> tuple[int, dict[str, str], str]:
    """Stand-in: moto 5.2.5 lacks ec2:GetCoipPoolUsage; answers, after
    authorization on the pool's ARN and DryRun (patched above), the
    documented result for a pool CreateCoipPool made: no address allocated.
    For any other pool ID an error (AWS's code for it is not documented,
    and the agent reads any such error as could not tell)."""
    pool = next((p for p in _coip_pools(resp) if p["PoolId"] == params.get("PoolId")), None)
    if pool is None:
        return _ec2_error("InvalidParameterValue", f"The pool ID '{params.get('PoolId')}' does not exist")
    return shaped_result(
        resp, "GetCoipPoolUsage",
        {"CoipPoolId": pool["PoolId"], "CoipAddressUsages": [], "LocalGatewayRouteTableId": pool["LocalGatewayRouteTableId"]},
    )


@stand_in("ec2", "DescribeIpamPools")
def _describe_ipam_pools(resp: Any, params: dict[str, Any]) -> tuple[int, dict[str, str], str]:
    """Stand-in: moto 5.2.5 lacks ec2:DescribeIpamPools; answers the
    documented empty result (no IPAM pools)."""
    return shaped_result(resp, "DescribeIpamPools")


@stand_in("ec2", "GetSecurityGroupsForVpc")
def _get_security_groups_for_vpc(resp: Any, params: dict[str, Any]) -> tuple[int, dict[str, str], str]:
    """Stand-in: moto 5.2.5 lacks ec2:GetSecurityGroupsForVpc; answers the
    documented result: the security groups moto holds in that VPC, or
    InvalidVpcID.NotFound for a VPC it does not hold."""
    vpc_id = params.get("VpcId") or ""
    backend = resp.ec2_backend
    if vpc_id not in backend.vpcs:
        return _ec2_error("InvalidVpcID.NotFound", f"The vpc ID '{vpc_id}' does not exist")
    groups = []
    for group in sorted(backend.groups.get(vpc_id, {}).values(), key=lambda g: g.id):
        groups.append({
            "Description": group.description, "GroupName": group.name, "OwnerId": group.owner_id, "GroupId": group.id,
            "Tags": [{"Key": t["key"], "Value": t["value"]} for t in group.get_tags()],
            "PrimaryVpcId": vpc_id,
        })
    return shaped_result(resp, "GetSecurityGroupsForVpc", {"SecurityGroupForVpcs": groups})


@stand_in("ec2", "GetInstanceTypesFromInstanceRequirements")
def _get_instance_types_from_instance_requirements(resp: Any, params: dict[str, Any]) -> tuple[int, dict[str, str], str]:
    """Stand-in: moto 5.2.5 lacks ec2:GetInstanceTypesFromInstanceRequirements;
    answers the documented result shape, listing the instance types of
    moto's catalogue that meet the architecture, virtualization, vCPU and
    memory bounds asked for (other requirements are not applied)."""
    from moto.ec2.models.instance_types import INSTANCE_TYPES

    archs = set(_as_list(params.get("ArchitectureTypes")))
    virt = set(_as_list(params.get("VirtualizationTypes")))
    req = params.get("InstanceRequirements") or {}

    def within(value: int, bounds: Any) -> bool:
        bounds = bounds or {}
        low, high = bounds.get("Min"), bounds.get("Max")
        return (low is None or value >= int(low)) and (high is None or value <= int(high))

    names = []
    for name, info in sorted(INSTANCE_TYPES.items()):
        if archs and not archs & set(info.get("ProcessorInfo", {}).get("SupportedArchitectures", [])):
            continue
        if virt and not virt & set(info.get("SupportedVirtualizationTypes", [])):
            continue
        if not within(info.get("VCpuInfo", {}).get("DefaultVCpus", 0), req.get("VCpuCount")):
            continue
        if not within(info.get("MemoryInfo", {}).get("SizeInMiB", 0), req.get("MemoryMiB")):
            continue
        names.append({"InstanceType": name})
    limit = int(params.get("MaxResults") or 0)
    return shaped_result(resp, "GetInstanceTypesFromInstanceRequirements", {"InstanceTypes": names[:limit] if limit else names})


@stand_in("elbv2", "DescribeTrustStores")
def _describe_trust_stores(resp: Any, params: dict[str, Any]) -> tuple[int, dict[str, str], str]:
    """Stand-in: moto 5.2.5 lacks elasticloadbalancing:DescribeTrustStores;
    answers the documented empty result (moto holds no trust stores), or
    TrustStoreNotFound when the request names one."""
    named = _as_list(params.get("TrustStoreArns")) + _as_list(params.get("Names"))
    if named:
        rid = str(uuid.uuid4())
        body = _xml_error("TrustStoreNotFound", "One or more trust stores not found", rid, "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/")
        return 400, {"Content-Type": "text/xml", "x-amzn-RequestId": rid}, body
    return shaped_result(resp, "DescribeTrustStores")


@stand_in("shield", "GetSubscriptionState")
def _get_subscription_state(resp: Any, params: dict[str, Any]) -> tuple[int, dict[str, str], str]:
    """Stand-in: moto 5.2.5 lacks shield:GetSubscriptionState; answers the
    documented result: INACTIVE, or ACTIVE once CreateSubscription made a
    Shield Advanced subscription in moto."""
    from moto.shield.models import shield_backends

    try:
        active = shield_backends[resp.current_account][resp.partition].subscription is not None
    except Exception:  # noqa: BLE001
        active = False
    return shaped_result(resp, "GetSubscriptionState", {"SubscriptionState": "ACTIVE" if active else "INACTIVE"})


def _xray_sampling_routes() -> None:
    """X-Ray's sampling reads are POST /GetSamplingRules and POST
    /SamplingStatisticSummaries, authorized as xray:GetSamplingRules and
    xray:GetSamplingStatisticSummaries. moto 5.2.5 routes neither path (404),
    and names every X-Ray request's action after its path, which for
    /SamplingStatisticSummaries is no IAM action. Both paths are routed; a
    path moto has no handler for is named as botocore's service model names
    its operation (paths moto handles keep moto's name, which its dispatch
    needs)."""
    from moto.core.utils import camelcase_to_underscores
    from moto.xray import urls as xray_urls
    from moto.xray.responses import XRayResponse

    for path in ("GetSamplingRules", "SamplingStatisticSummaries"):
        xray_urls.url_paths.setdefault("{0}/" + path + "$", XRayResponse.dispatch)
    original = XRayResponse._get_action

    def _get_action(self: Any) -> str:
        action = original(self)
        if callable(getattr(type(self), camelcase_to_underscores(action), None)):
            return action
        return self._get_action_from_method_and_request_uri(self.normalized_request) or action

    XRayResponse._get_action = _get_action


_xray_sampling_routes()


def _pricing_service() -> None:
    """moto 5.2.5 has no Price List Service (signing name `pricing`, JSON
    target prefix AWSPriceListService). A backend of that name with no data
    of its own is registered, so a request signed for it reaches moto's IAM
    authorization (patched above) as any other does, authorized on "*" (the
    Service Authorization Reference lists no resource for pricing:*); its
    operations are stand-ins."""
    import sys
    import types

    from moto import backend_index
    from moto.core.base_backend import BackendDict, BaseBackend

    class PricingResponse(BaseResponse):
        def __init__(self) -> None:
            super().__init__(service_name="pricing")

    urls = types.SimpleNamespace(
        url_bases=[r"https?://api\.pricing\.(.+)\.amazonaws\.com", r"https?://pricing\.(.+)\.amazonaws\.com"],
        url_paths={"{0}/$": PricingResponse.dispatch},
    )

    class PricingBackend(BaseBackend):
        @property
        def _url_module(self) -> Any:
            return urls

    module = types.ModuleType("moto.pricing")
    module.pricing_backends = BackendDict(PricingBackend, "pricing")  # type: ignore[attr-defined]
    sys.modules["moto.pricing"] = module
    for base in urls.url_bases:
        backend_index.backend_url_patterns.append(("pricing", re.compile(base)))


_pricing_service()


@stand_in("pricing", "GetProducts")
def _get_products(resp: Any, params: dict[str, Any]) -> tuple[int, dict[str, str], str]:
    """Stand-in: answers pricing:GetProducts with the documented result shape
    and no product (the emulator holds no price list): the FormatVersion
    asked for and an empty PriceList."""
    return shaped_result(resp, "GetProducts", {"FormatVersion": params.get("FormatVersion") or "aws_v1"})


@stand_in("xray", "GetSamplingRules")
def _get_sampling_rules(resp: Any, params: dict[str, Any]) -> tuple[int, dict[str, str], str]:
    """Stand-in: moto 5.2.5 lacks xray:GetSamplingRules; answers the
    documented result with X-Ray's built-in Default rule, which every
    account has (priority 10000, 1 request a second and 5% after it)."""
    rule = {
        "RuleName": "Default", "RuleARN": _arn(resp, "xray", "sampling-rule/Default"), "ResourceARN": "*",
        "Priority": 10000, "FixedRate": 0.05, "ReservoirSize": 1, "ServiceName": "*", "ServiceType": "*",
        "Host": "*", "HTTPMethod": "*", "URLPath": "*", "Version": 1, "Attributes": {},
    }
    return shaped_result(resp, "GetSamplingRules", {"SamplingRuleRecords": [{"SamplingRule": rule, "CreatedAt": 0.0, "ModifiedAt": 0.0}]})


@stand_in("xray", "GetSamplingStatisticSummaries")
def _get_sampling_statistic_summaries(resp: Any, params: dict[str, Any]) -> tuple[int, dict[str, str], str]:
    """Stand-in: moto 5.2.5 lacks xray:GetSamplingStatisticSummaries;
    answers the documented empty result (no request was sampled here)."""
    return shaped_result(resp, "GetSamplingStatisticSummaries")


def _wafv2_no_web_acl() -> None:
    """GetWebACLForResource on a resource no web ACL protects answers 200
    with no WebACL member (`{}`); moto 5.2.5 sent `"WebACL": null`."""
    from moto.wafv2.responses import WAFV2Response

    original = WAFV2Response.get_web_acl_for_resource

    def get_web_acl_for_resource(self: Any) -> Any:
        status, headers, body = original(self)
        doc = json.loads(body)
        if doc.get("WebACL") is None:
            doc.pop("WebACL", None)
        return status, dict(headers, **{"Content-Type": "application/x-amz-json-1.1"}), json.dumps(doc)

    WAFV2Response.get_web_acl_for_resource = get_web_acl_for_resource


_wafv2_no_web_acl()


# --------------------------------------------------------------------------
# Secrets Manager status codes
# --------------------------------------------------------------------------


def _secretsmanager_status() -> None:
    """Secrets Manager answers every client error, ResourceNotFoundException
    included, with HTTP 400; moto 5.2.5 sent 404 for a missing secret or
    version."""
    from moto.secretsmanager import exceptions

    exceptions.SecretsManagerClientError.code = property(lambda self: 400, lambda self, value: None)


_secretsmanager_status()


def _secretsmanager_missing_secret() -> None:
    """ListSecretVersionIds on a secret that does not exist answers
    ResourceNotFoundException (HTTP 400), as the operation's API reference
    lists and as every other Secrets Manager read answers; moto 5.2.5 looked
    the secret up unguarded and answered HTTP 500 (KeyError). Found by
    tests/differential.rs, whose probes name secrets that do not exist."""
    from moto.secretsmanager.exceptions import SecretNotFoundException
    from moto.secretsmanager.models import SecretsManagerBackend

    original = SecretsManagerBackend.list_secret_version_ids

    def list_secret_version_ids(self: Any, secret_id: str, *args: Any, **kwargs: Any) -> Any:
        if not self._is_valid_identifier(secret_id):
            raise SecretNotFoundException()
        return original(self, secret_id, *args, **kwargs)

    SecretsManagerBackend.list_secret_version_ids = list_secret_version_ids


_secretsmanager_missing_secret()


# --------------------------------------------------------------------------
# Elastic Load Balancing v2 writes, answered as the API reference documents
# --------------------------------------------------------------------------


def _elbv2_modify_rule_without_properties() -> None:
    """ModifyRule naming only the rule answers 200 with the rule unchanged:
    the API reference requires only RuleArn and says "Any properties that you
    do not specify are unchanged"
    (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_ModifyRule.html).
    moto 5.2.5 refused it with ValidationError "Either conditions or actions
    must be specified". A rule that does not exist is still RuleNotFound."""
    from moto.elbv2.models import ELBv2Backend

    original = ELBv2Backend.modify_rule

    def modify_rule(self: Any, rule_arn: str, conditions: Any, actions: Any) -> Any:
        if not conditions and not actions:
            return self.describe_rules(listener_arn=None, rule_arns=[rule_arn])[0]
        return original(self, rule_arn, conditions, actions)

    ELBv2Backend.modify_rule = modify_rule


_elbv2_modify_rule_without_properties()


def _elbv2_add_listener_certificates_once() -> None:
    """AddListenerCertificates of a certificate already in the listener's
    certificate list succeeds and adds nothing: "If the certificate in
    already in the certificate list, the call is successful but the
    certificate is not added again"
    (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_AddListenerCertificates.html).
    moto 5.2.5 appended it again. moto keeps the default certificate first
    in the same list (DescribeListenerCertificates marks it IsDefault), so
    the certificate list proper is the rest: re-adding the default
    certificate still puts it in that list, where AWS then shows it twice."""
    from moto.elbv2.models import ELBv2Backend

    original = ELBv2Backend.add_listener_certificates

    def add_listener_certificates(self: Any, arn: str, certificates: list[dict[str, Any]]) -> list[str]:
        listener = self.describe_listeners(load_balancer_arn=None, listener_arns=[arn])[0]
        listed = listener.certificates[1:]
        new = [c for c in certificates if c.get("CertificateArn") not in listed]
        if not new:
            return listener.certificates
        return original(self, arn, new)

    ELBv2Backend.add_listener_certificates = add_listener_certificates


_elbv2_add_listener_certificates_once()


def _elbv2_deregister_a_target_that_does_not_exist() -> None:
    """DeregisterTargets of a target that does not exist succeeds and changes
    nothing: "Note: If the specified target does not exist, the action
    returns successfully."
    (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_DeregisterTargets.html).
    moto 5.2.5 answered InvalidTarget for any target not registered. An
    instance target that EC2 does not hold is such a target; a target that
    exists but is not registered keeps moto's InvalidTarget (AWS documents
    that error without saying when)."""
    from moto.elbv2.models import FakeTargetGroup

    original = FakeTargetGroup.deregister

    def deregister(self: Any, targets: list[dict[str, Any]]) -> None:
        def missing(target: dict[str, Any]) -> bool:
            tid = str(target.get("Id", ""))
            if tid in self.targets or self.target_type != "instance" or not tid.startswith("i-"):
                return False
            return self.ec2_backend.get_instance_by_id(tid) is None

        kept = [t for t in targets if not missing(t)]
        if kept:
            original(self, kept)

    FakeTargetGroup.deregister = deregister


_elbv2_deregister_a_target_that_does_not_exist()


def _elbv2_creates_nothing_for_a_missing_parent() -> None:
    """CreateListener on a load balancer that does not exist, and CreateRule
    on a listener that does not exist, create nothing: the API reference
    answers LoadBalancerNotFound ("The specified load balancer does not
    exist.") and ListenerNotFound. moto 5.2.5 answered so too, but built the
    request's actions first, model instances that /moto-api/data.json then
    lists as if something had been created; the parent is now looked up
    before anything is built."""
    from moto.elbv2.exceptions import LoadBalancerNotFoundError
    from moto.elbv2.models import ELBv2Backend

    create_listener, create_rule = ELBv2Backend.create_listener, ELBv2Backend.create_rule

    def create_listener_checked(self: Any, load_balancer_arn: str, *args: Any, **kwargs: Any) -> Any:
        if load_balancer_arn not in self.load_balancers:
            raise LoadBalancerNotFoundError()
        return create_listener(self, load_balancer_arn, *args, **kwargs)

    def create_rule_checked(self: Any, listener_arn: str, *args: Any, **kwargs: Any) -> Any:
        self.describe_listeners(None, [listener_arn])  # ListenerNotFound
        return create_rule(self, listener_arn, *args, **kwargs)

    ELBv2Backend.create_listener = create_listener_checked
    ELBv2Backend.create_rule = create_rule_checked


_elbv2_creates_nothing_for_a_missing_parent()


def _elbv2_one_listener_per_port() -> None:
    """A load balancer has one listener per port. CreateListener on a port
    that has one succeeds with the same settings and creates nothing: "This
    operation is idempotent, which means that it completes at most one time.
    If you attempt to create multiple listeners with the same settings, each
    call succeeds."; with other settings it is refused, DuplicateListener ("A
    listener with the specified port already exists.")
    (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateListener.html).
    moto 5.2.5 looked the port up among the listeners' ARNs, never found it,
    and added a second listener on the port.

    The settings compared are those DescribeListeners lists, which lists as
    AWS does: Certificates, "The default certificate for the listener" only
    (moto listed the whole certificate list), and SslPolicy only for an
    HTTPS or TLS listener ("[HTTPS or TLS listener] The security policy";
    moto listed its default for every protocol)
    (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_Listener.html)."""
    from moto.elbv2.exceptions import DuplicateListenerError
    from moto.elbv2.models import ELBv2Backend, FakeListener

    secure = ("HTTPS", "TLS")

    def _action_data(action: dict[str, Any]) -> dict[str, Any]:
        # An action as moto's FakeAction stores it (its defaults filled in),
        # without building one: a model built is listed by /moto-api/data.json
        # as if something had been created.
        data = copy.deepcopy(action)
        if "ForwardConfig" in data:
            data["ForwardConfig"].setdefault("TargetGroupStickinessConfig", {"Enabled": False})
            for group in data["ForwardConfig"].get("TargetGroups", []):
                group.setdefault("Weight", 1)
        return data

    FakeListener.Certificates = property(lambda self: [self.certificate] if self.certificate else [])
    FakeListener.SslPolicy = property(lambda self: self.ssl_policy if self.protocol in secure else None)
    original = ELBv2Backend.create_listener

    def create_listener(
        self: Any, load_balancer_arn: str, protocol: str, port: str, ssl_policy: str, certificate: str | None,
        actions: list[dict[str, Any]], alpn_policy: list[str] | None = None, tags: list[dict[str, str]] | None = None,
    ) -> Any:
        balancer = self.load_balancers.get(load_balancer_arn)
        on_port = [l for l in (balancer.listeners.values() if balancer else []) if str(l.port) == str(port)]
        if not on_port:
            return original(self, load_balancer_arn, protocol, port, ssl_policy, certificate, actions, alpn_policy, tags)
        listener = on_port[0]
        proto = (protocol or "").upper()
        same = (
            listener.protocol == proto
            and listener.certificate == certificate
            and (proto not in secure or listener.ssl_policy == ssl_policy)
            and [a.data for a in listener.default_actions] == [_action_data(a) for a in actions]
            and list(listener.alpn_policy or []) == list(alpn_policy or [])
        )
        if not same:
            raise DuplicateListenerError()
        return listener

    ELBv2Backend.create_listener = create_listener


_elbv2_one_listener_per_port()


def _elbv2_rule_priorities_in_the_new_order() -> None:
    """SetRulePriorities looks for conflicts in the new order: "You can
    reorder the rules as long as there are no priority conflicts in the new
    order. Any existing rules that you do not specify retain their current
    priority."
    (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_SetRulePriorities.html).
    moto 5.2.5 compared each priority asked with every rule's current one,
    the rules being given new ones included, so a rule given back its own
    priority was PriorityInUse. A priority held by a rule not named, or
    asked twice, is still refused; a rule that does not exist is still
    RuleNotFound."""
    from moto.elbv2.exceptions import DuplicatePriorityError, PriorityInUseError
    from moto.elbv2.models import ELBv2Backend

    def set_rule_priorities(self: Any, rule_priorities: list[dict[str, Any]]) -> list[Any]:
        asked = [str(p["Priority"]) for p in rule_priorities]
        for priority in set(asked):
            if asked.count(priority) > 1:
                raise DuplicatePriorityError(priority)
        named = {p["RuleArn"] for p in rule_priorities}
        rules = []
        for p in rule_priorities:
            rule = self.describe_rules(listener_arn=None, rule_arns=[p["RuleArn"]])[0]  # RuleNotFound
            listener = self.describe_listeners(None, [rule.listener_arn])[0]
            if any(other.arn not in named and str(other.priority) == str(p["Priority"]) for other in listener.rules.values()):
                raise PriorityInUseError()
            rules.append((rule, p["Priority"]))
        for rule, priority in rules:
            rule.priority = priority
        return [rule for rule, _ in rules]

    ELBv2Backend.set_rule_priorities = set_rule_priorities


_elbv2_rule_priorities_in_the_new_order()


def _route53_record_values_are_strings() -> None:
    """A record's values are strings: a new zone's SOA lists its value as
    "ns-2048.awsdns-64.com. hostmaster.example.com. 1 7200 900 1209600
    86400" (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/SOA-NSrecords.html).
    moto 5.2.5 stored the SOA's value as a {"Value": ...} object, so
    ListResourceRecordSets listed that object's repr as its value, and
    writing the record back as listed changed it."""
    from moto.route53.models import FakeZone

    add_rrset = FakeZone.add_rrset

    def add_rrset_with_strings(self: Any, record_set: dict[str, Any]) -> Any:
        records = record_set.get("ResourceRecords") or []
        record_set = dict(record_set, ResourceRecords=[r["Value"] if isinstance(r, dict) and "Value" in r else r for r in records])
        return add_rrset(self, record_set)

    FakeZone.add_rrset = add_rrset_with_strings


_route53_record_values_are_strings()


def _route53_change_batches_in_order() -> None:
    """A change batch is validated change by change against the zone as the
    batch's earlier changes leave it, then made whole or not at all: "it
    deletes the CNAME resource record set for www.example.com and creates an
    alias resource record set for www.example.com. If validation for both
    records succeeds, Route 53 deletes the first resource record set and
    creates the second resource record set in a single operation"; and "To
    delete a resource record set, you must specify all the same values that
    you specified when you created it"
    (https://docs.aws.amazon.com/Route53/latest/APIReference/API_ChangeResourceRecordSets.html).
    moto 5.2.5 validated a CREATE against the zone before the batch (and
    against every record sorting after it), so a DELETE and CREATE of one
    record set in one batch was refused; and it took a DELETE's values from
    its journal of past changes, not the record's current values."""
    from moto.route53.exceptions import DnsNameInvalidForZone, InvalidActionValue, Route53ClientError
    from moto.route53.models import Route53Backend

    def key(rs: dict[str, Any]) -> tuple[str, str, Any]:
        return (rs["Name"].rstrip(".").lower(), rs.get("Type"), rs.get("SetIdentifier"))

    def values(rs: dict[str, Any]) -> tuple[Any, ...]:
        records = [r["Value"] if isinstance(r, dict) else r for r in rs.get("ResourceRecords") or []]
        ttl = rs.get("TTL")
        return (None if ttl is None else str(ttl), sorted(records), json.dumps(rs.get("AliasTarget"), sort_keys=True, default=str))

    def listed(r: Any) -> dict[str, Any]:
        return {"Name": r.name, "Type": r.type, "SetIdentifier": r.set_identifier, "TTL": r.ttl, "ResourceRecords": r.records, "AliasTarget": r.alias_target}

    def refused(what: str, rs: dict[str, Any], why: str) -> Route53ClientError:
        return Route53ClientError(
            "InvalidChangeBatch", f"[Tried to {what} resource record set [name='{rs['Name'].rstrip('.')}.', type='{rs.get('Type')}'] but {why}]"
        )

    def change_resource_record_sets(self: Any, zoneid: str, change_list: list[dict[str, Any]]) -> None:
        zone = self.get_hosted_zone(zoneid)
        state = {key(listed(r)): values(listed(r)) for r in zone.rrsets}
        for change in change_list:
            action, rs = change["Action"], change["ResourceRecordSet"]
            if action not in ("CREATE", "UPSERT", "DELETE"):
                raise InvalidActionValue(action)
            if not rs["Name"].rstrip(".").lower().endswith(zone.name.rstrip(".").lower()):
                raise DnsNameInvalidForZone(name=rs["Name"], zone_name=zone.name)
            k = key(rs)
            if action == "CREATE" and k in state:
                raise refused("create", rs, "it already exists")
            if action == "DELETE" and k not in state:
                raise refused("delete", rs, "it was not found")
            if action == "DELETE" and state[k] != values(rs):
                raise refused("delete", rs, "the values provided do not match the current values")
            if action == "DELETE":
                del state[k]
            else:
                state[k] = values(rs)
        # Every change is valid in order: make them all.
        for change in change_list:
            journal = copy.deepcopy(change)
            action, rs = change["Action"], dict(change["ResourceRecordSet"])
            if not rs["Name"].endswith("."):
                rs["Name"] += "."
            if action == "DELETE":
                zone.rrsets = [r for r in zone.rrsets if key(listed(r)) != key(rs)]
            elif action == "CREATE":
                zone.add_rrset(rs)
            else:
                zone.upsert_rrset(dict(rs, ResourceRecords=[r["Value"] if isinstance(r, dict) else r for r in rs.get("ResourceRecords") or []]))
            zone.rr_changes.append(journal)

    Route53Backend.change_resource_record_sets = change_resource_record_sets


_route53_change_batches_in_order()

# The change batches made, by ID: AWS keeps each one's status for GetChange,
# and no API lists them (so the whole-state snapshot does not see them).
_ROUTE53_CHANGES: set[str] = set()


def _route53_change_ids() -> None:
    """Each change batch has its own ID, and GetChange answers only for one
    that was made: "Returns the current status of a change batch request";
    any other ID is NoSuchChange, "A change with the specified change ID does
    not exist." (HTTP 404,
    https://docs.aws.amazon.com/Route53/latest/APIReference/API_GetChange.html).
    moto 5.2.5 gave every batch the ID C2682N5HXP0BZ4 and answered INSYNC
    for any ID."""
    import secrets as _secrets
    import string

    from moto.route53.exceptions import Route53ClientError
    from moto.route53.responses import Route53

    changed = Route53.change_resource_record_sets
    alphabet = string.ascii_uppercase + string.digits

    def change_resource_record_sets(self: Any) -> Any:
        result = changed(self)
        change_id = "C" + "".join(_secrets.choice(alphabet) for _ in range(20))
        result.result["ChangeInfo"]["Id"] = f"/change/{change_id}"
        _ROUTE53_CHANGES.add(change_id)
        return result

    got = Route53.get_change

    def get_change(self: Any) -> Any:
        change_id = (self._get_param("Id") or "").split("/")[-1]
        if change_id not in _ROUTE53_CHANGES:
            raise Route53ClientError("NoSuchChange", "A change with the specified change ID does not exist.")
        return got(self)

    Route53.change_resource_record_sets = change_resource_record_sets
    Route53.get_change = get_change


_route53_change_ids()


def _elbv2_target_group_attributes_are_strings() -> None:
    """A target group's attributes are strings, as the API reference types
    every TargetGroupAttribute Value ("Type: String"). moto 5.2.5 stored two
    defaults as numbers (deregistration_delay.timeout_seconds 300,
    slow_start.duration_seconds 0), so writing back the value just read
    ("300") changed its stored type: /moto-api/data.json showed a change
    where AWS would hold the same string."""
    from moto.elbv2.models import FakeTargetGroup

    init = FakeTargetGroup.__init__

    def init_with_strings(self: Any, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        self.attributes = {k: _cond_str(v) for k, v in self.attributes.items()}

    FakeTargetGroup.__init__ = init_with_strings


_elbv2_target_group_attributes_are_strings()
