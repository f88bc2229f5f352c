"""Salesforce Live Messaging: handing a conversation to a live rep through Messaging for In-App and Web."""
