"""RQ job entry points. Thin: load rows, call the domain in webapp/, record the outcome."""
