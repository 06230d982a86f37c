"""Use cases: each takes a store and plain arguments and runs as one transaction.

The CLI and the web layer call these; no business rule lives above them.
"""
