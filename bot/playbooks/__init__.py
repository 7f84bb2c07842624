"""Playbooks and the service catalog: the protocol as YAML data, validated by pydantic."""
