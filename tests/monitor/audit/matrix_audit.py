"""Audit routes whose callers are tested in tests/monitor/audit/test_audit_api.py (API and the /monitor/audit page)."""

COVERED: set[tuple[str, str]] = {
    ("audit_api.countersign_checkpoint", "POST"),
    ("audit_api.list_entries", "GET"),
    ("audit_api.export_zip", "GET"),
    ("monitor_audit.index", "GET"),
    ("monitor_audit.countersign", "POST"),
    ("monitor_audit.export_zip", "GET"),
}
#: public endpoints: hashes and signatures only
PUBLIC: set[tuple[str, str]] = {
    ("audit_api.audit_key", "GET"),
    ("audit_api.list_checkpoints", "GET"),
    ("audit_api.latest_checkpoint", "GET"),
    ("audit_api.inclusion_proof", "GET"),
    ("audit_api.consistency_proof", "GET"),
}
