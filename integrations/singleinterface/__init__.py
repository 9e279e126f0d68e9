"""The SingleInterface webhook: the client delivery POSTs with, and its retry policy."""
