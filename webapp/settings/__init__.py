"""Settings: the organization and its members, and the settings shell."""
