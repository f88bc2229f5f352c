"""RQ job entry points. Thin: load rows, call the domain in webapp/, record the outcome.

Each entry point is declared with ``@job(SPEC)`` against its spec in ``webapp.queue``, which is
how the rest of the app names and enqueues it; nothing in webapp/ imports this package.
"""
