"""Adapters: the ports of bot.services on Slack, the database, PagerDuty, webhooks and probes."""
