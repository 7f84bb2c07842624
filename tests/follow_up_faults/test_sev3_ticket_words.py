"""a Sev3's ticket goes to GitHub with Slack's markup (`<@U0CAROL|carol>`, `&lt;`), where a
follow-up's issue is in plain words (`@carol`, `<`): TrackerTickets.file does not pass the
title through FollowUps.words.
"""

from __future__ import annotations


def test_a_sev3_ticket_is_in_plain_words(filing_bot, github) -> None:
    filing_bot.reply(filing_bot.command("sev3 checkout <@U0CAROL|carol> sees &lt;EUR&gt; as USD"))
    [issue] = github.issues("acme/checkout")
    assert issue["title"] == "Sev3: checkout @carol sees <EUR> as USD"
