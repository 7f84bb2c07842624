"""Try the bot without Slack: a local Slack stand-in, a virtual clock and scripted drills."""
