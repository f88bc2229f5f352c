"""Tests of Salesforce Live Messaging (Messaging for In-App and Web)."""
