"""Presentation: every format costkit prints or writes, and the escaping every untrusted string goes through."""
