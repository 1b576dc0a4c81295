"""The signing routes' caller matrix lives in tests/trading/signing/test_signing_matrix.py."""

COVERED = {("signing_api.create_signing_key", "POST"), ("signing_api.revoke_signing_key", "POST"),
           ("signing_api.create_signing_statement", "POST")}
PUBLIC = {("signing_api.list_signing_keys", "GET")}
