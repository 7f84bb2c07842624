"""Wording adapters: what use cases say, rendered as Slack messages (Block Kit and mrkdwn)."""
