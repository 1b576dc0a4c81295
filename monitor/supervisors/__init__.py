"""Social supervisors (社会监督员): the registry, draws and recusal, sign-offs, certificates and records (PDF)."""
