"""Front: the ticketing integration (client, webhooks, reply rules, actions, settings)."""
