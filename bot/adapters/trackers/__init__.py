"""Adapters of the tracker port (``bot.services.trackers``): GitHub Issues and Jira Cloud."""
