"""The Inbox: every session with its timeline."""
