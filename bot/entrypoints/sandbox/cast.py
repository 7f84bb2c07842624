"""The sandbox's workspace: people, channels and user groups made up from the playbooks.

Every user group the catalog and playbooks mention gets two members, so paging a team or
escalating to leads shows real people being pulled in, whatever playbooks are rehearsed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.entrypoints.sandbox.slack_api import SlackApiStub
from bot.playbooks.loader import Playbooks

RESPONDERS = ("alice", "bob", "carol")
GENERAL = ("C0GENERAL", "general")
ANNOUNCE = ("C0INCIDENTS", "incidents")
TRIAGE = ("C0TRIAGE", "triage")


@dataclass(frozen=True)
class Group:
    id: str
    handle: str
    members: tuple[str, ...]  # user names


def user_id(name: str) -> str:
    return "U0" + re.sub(r"[^A-Z0-9]", "", name.upper())


def groups(playbooks: Playbooks) -> list[Group]:
    """A group per user group the playbooks name, its handle from the team where there is one."""
    handles: dict[str, str] = {}
    for service in playbooks.catalog.services:
        handles.setdefault(service.user_group, _slug(service.team))
    for playbook in playbooks.by_severity.values():
        group = playbook.escalation.user_group
        if group is not None:
            handles.setdefault(group, _slug(re.sub(r"^S0?", "", group)))
    return [
        Group(group_id, handle, (f"{handle}-oncall", f"{handle}-lead"))
        for group_id, handle in handles.items()
    ]


def populate(stub: SlackApiStub, playbooks: Playbooks, tz: str) -> None:
    """People, groups and the channels a new workspace has, all in the sandbox's timezone."""
    made = groups(playbooks)
    people = [*RESPONDERS, *(name for group in made for name in group.members)]
    for name in dict.fromkeys(people):
        stub.add_user(user_id(name), name, tz=tz)
    for group in made:
        stub.add_usergroup(group.id, group.handle, [user_id(name) for name in group.members])
    everyone = [stub.identity.bot_user_id, *(user_id(name) for name in dict.fromkeys(people))]
    for channel_id, name in (GENERAL, ANNOUNCE, TRIAGE):
        stub.add_channel(channel_id, name, members=everyone)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "team"
