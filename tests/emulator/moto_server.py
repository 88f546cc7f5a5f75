"""Start moto's server on loopback with IAM enforcement patched for IRSA tests.

moto 5.2.5 (pinned in requirements.txt) has gaps that break IRSA tests:

1. With enforcement on, the *unsigned* sts:AssumeRoleWithWebIdentity request
   (the SDK sends it unsigned, as AWS expects) crashes with HTTP 500
   (KeyError 'Authorization'). AWS authenticates that call by the token, not a
   signature, so we let it through unauthenticated.
2. Most services authorize every action against Resource "*", so a
   resource-scoped Allow never matches, and every denial comes back as an XML
   403 instead of the service's own error. fidelity.py (imported below)
   authorizes against the request's real resource ARNs - DynamoDB's table
   among them, denied as DynamoDB's JSON 400 AccessDeniedException - and
   fixes the other differences its docstring lists.
3. The IMDSv2 token answer lacks the X-aws-ec2-metadata-token-ttl-seconds
   header that real instance metadata sends and the Rust SDK requires. We add
   it, so the emulator can play a node's instance metadata.

Everything else is moto as shipped. The server exits when --parent-pid dies,
so a test run that is killed leaves no emulator behind.
"""

import argparse
import os
import sys
import time

# Enforcement starts off so the harness can seed; it turns it on with
# POST /moto-api/reset-auth (body "0").
os.environ.setdefault("INITIAL_NO_AUTH_ACTION_COUNT", "inf")

import fidelity  # noqa: E402,F401 - applies its patches on import
from lifetime import exit_with_parent  # noqa: E402
from moto.core import authorization  # noqa: E402
from moto.instance_metadata import urls as _metadata_urls  # noqa: E402
from moto.instance_metadata.responses import InstanceMetadataResponse  # noqa: E402

UNSIGNED_STS_ACTIONS = {"AssumeRoleWithWebIdentity", "AssumeRoleWithSAML"}

_original_authorize = authorization.ActionAuthenticatorMixin._authenticate_and_authorize_action


def _authorize(self, iam_request_cls, resource="*"):
    if "Authorization" not in self.headers:
        try:
            action = self._get_action()
        except Exception:  # noqa: BLE001 - not an STS-style request
            action = None
        if action in UNSIGNED_STS_ACTIONS:
            return None
    return _original_authorize(self, iam_request_cls, resource)


authorization.ActionAuthenticatorMixin._authenticate_and_authorize_action = _authorize


_original_metadata = InstanceMetadataResponse.metadata_response


def _metadata_response(request, full_url, headers):
    status, response_headers, body = _original_metadata(request, full_url, headers)
    if full_url.split("?")[0].endswith("/latest/api/token"):
        ttl = headers.get("X-aws-ec2-metadata-token-ttl-seconds") or "21600"
        response_headers = dict(response_headers, **{"X-aws-ec2-metadata-token-ttl-seconds": ttl})
    return status, response_headers, body


InstanceMetadataResponse.metadata_response = staticmethod(_metadata_response)
# The URL table holds the function itself, bound when it was imported.
for _pattern, _view in list(_metadata_urls.url_paths.items()):
    if _view is _original_metadata:
        _metadata_urls.url_paths[_pattern] = _metadata_response


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--parent-pid", type=int)
    args = parser.parse_args()
    if args.parent_pid:
        exit_with_parent(args.parent_pid)

    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address=args.host, port=args.port, verbose=False)
    server.start()
    print(f"moto listening on http://{args.host}:{args.port}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
