"""incident-bot: an incident-response ChatOps bot for Slack that drives the protocol on time."""
