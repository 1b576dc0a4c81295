"""People's own signatures: supervisors' signing keys (made on their machines), the statements they sign, checking them."""
