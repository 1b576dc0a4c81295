"""Live views of the audit log: the Server-Sent Event streams and the supervision dashboard."""
