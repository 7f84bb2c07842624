"""Inbound webhooks: deploys (ours and GitHub's) and Alertmanager alerts."""
