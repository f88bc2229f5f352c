"""First-run set-up, login and logout."""
