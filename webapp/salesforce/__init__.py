"""Escalation to Salesforce: the OAuth connection, Cases as a handoff destination, and reps'
replies relayed back into Front through Apex the admin deploys."""
