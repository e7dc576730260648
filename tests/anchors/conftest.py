"""The anchors tests share the small two-instrument params of tests/proofs."""

import json

import zkmargin as zm
from tests.proofs.conftest import params  # noqa: F401  (a fixture, used by name)


def claiming(key, roles):
    """`key`'s private half with `roles` written into its file (None: a legacy file without
    roles). Signers write their own key files: only the verifier's public files count."""
    document = key.model_dump(exclude_none=True)
    if roles is None:
        document.pop("roles", None)
    else:
        document["roles"] = roles
    return zm.SigningKey.from_json(json.dumps(document))
