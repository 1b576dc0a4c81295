"""Procurement results: the purchaser's award decision (silence: rank one), the result, the contract's publication,
the acceptance (履约验收), and the small and micro enterprise policy functions (财库〔2020〕46号)."""
