"""From the evaluation report to the contract: candidates and their publicity, objections and complaints,
the award with its letters and report, the contract and the deposit refunds (Law 45-47; Reg 54-61)."""
