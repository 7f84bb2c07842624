"""The Slack app manifest asks for what the code uses, and subscribes only to what it handles."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from bot.adapters.slack import listeners

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = ROOT / "deploy" / "slack-app-manifest.yaml"
# The bot scopes each Web API method the gateway calls needs (docs.slack.dev/reference/methods),
# private-channel twins included: the announcement channel may be private.
METHOD_SCOPES = {
    "auth.test": set(),
    "chat.getPermalink": set(),
    "chat.postEphemeral": {"chat:write"},
    "chat.postMessage": {"chat:write", "chat:write.public"},
    "chat.update": {"chat:write"},
    "conversations.create": {"channels:manage", "groups:write"},
    "conversations.history": {"channels:history", "groups:history"},
    "conversations.replies": {"channels:history", "groups:history"},
    "conversations.info": {"channels:read", "groups:read"},
    "conversations.invite": {"channels:manage", "groups:write"},
    "conversations.list": {"channels:read", "groups:read"},
    "conversations.setTopic": {"channels:manage", "groups:write"},
    "files.upload_v2": {"files:write"},
    "pins.add": {"pins:write"},
    "usergroups.list": {"usergroups:read"},
    "usergroups.users.list": {"usergroups:read"},
    "users.info": {"users:read"},
    "views.open": set(),
}
EVENT_SCOPES = {
    "pin_added": {"pins:read"},
    "pin_removed": {"pins:read"},
    "reaction_added": {"reactions:read"},
    "reaction_removed": {"reactions:read"},
}


def manifest() -> dict[str, Any]:
    return dict(yaml.safe_load(MANIFEST.read_text()))


def called_methods() -> set[str]:
    source = (ROOT / "bot" / "adapters" / "slack" / "gateway.py").read_text()
    return set(re.findall(r'_call\(\s*"([a-z]+\.[a-zA-Z_.0-9]+)"', source))


def test_every_method_the_gateway_calls_has_its_scopes_listed_here() -> None:
    assert called_methods() == set(METHOD_SCOPES)


def test_the_manifest_asks_for_exactly_the_scopes_the_code_uses() -> None:
    asked = set(manifest()["oauth_config"]["scopes"]["bot"])
    events = manifest()["settings"]["event_subscriptions"]["bot_events"]
    used = {"commands"}.union(*METHOD_SCOPES.values(), *(EVENT_SCOPES[e] for e in events))
    assert asked == used


def test_every_subscribed_event_has_a_listener() -> None:
    subscribed = set(manifest()["settings"]["event_subscriptions"]["bot_events"])
    assert subscribed == set(listeners.EVENTS)
    assert set(EVENT_SCOPES) == set(listeners.EVENTS)
