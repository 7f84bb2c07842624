"""What use cases say, in Slack's words: Block Kit, mrkdwn and the message templates."""
