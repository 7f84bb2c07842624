"""The Slack face of the bot: parse requests, call the services, render Block Kit."""
