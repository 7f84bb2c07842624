"""the post-mortem draft's action items (and the timeline's follow-up entries) keep Slack's
markup (`<@U0CAROL|carol>`, `<https://..|label>`, `&lt;`) where the rest of the draft says
`@carol`, `label (url)`, `<` (README: "the post-mortem draft, a file, says @bob, #general and
label (url) instead").
"""

from __future__ import annotations

from tests.adapters.slack.conftest import on_the_card
from tests.adapters.slack.test_follow_ups import declared


def test_action_items_are_in_the_drafts_plain_words(bot) -> None:
    channel = declared(bot)
    bot.command(
        "follow-up ask <@U0CAROL|carol> to rotate <https://vault.example/keys|the keys>"
        " &amp; tokens",
        channel=channel,
    )
    assert bot.runtime.work.wait_idle()
    steps = ["ack", "resolve"]
    for done, step in enumerate(steps, start=1):
        bot.command(step, channel=channel)
        bot.slack.wait_for("chat.update", count=done, predicate=on_the_card)
    bot.reply(bot.command("postmortem", channel=channel))
    [uploaded] = bot.slack.files.values()
    draft = uploaded.content.decode()
    actions = draft.split("## Action items", 1)[1]
    timeline = draft.split("## Timeline", 1)[1].split("##", 1)[0]
    assert "<@U0CAROL" not in draft, "Slack markup in the draft"
    # (Markdown the draft escapes: "\\&" shows "&")
    assert "ask @carol to rotate the keys (https://vault.example/keys) \\& tokens" in actions
    assert "ask @carol to rotate the keys" in timeline
