"""A follow-up typed as `due 2026-12-15` must be shown to people as due on the 15th."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tests.adapters.slack.conftest import GENERAL, BotClient, text_of
from tests.adapters.slack.test_follow_ups import declared

DATE = re.compile(r"<!date\^(\d+)\^\{date_short_pretty\}")


def test_a_date_typed_is_the_date_shown_east_of_utc(bot: BotClient) -> None:
    channel = declared(bot)
    typed = (bot.runtime.service.clock() + timedelta(days=30)).date()
    bot.command(f"follow-up add retries due {typed.isoformat()}", channel=channel)
    assert bot.runtime.work.wait_idle()
    listed = text_of(bot.reply(bot.command("1 follow-ups", channel=GENERAL)))
    [stamp] = DATE.findall(listed)
    # Slack renders <!date^…^{date_short_pretty}> in each reader's own time zone.
    for zone in ("Europe/Berlin", "Asia/Tokyo", "America/New_York"):
        shown = datetime.fromtimestamp(int(stamp), ZoneInfo(zone)).date()
        assert shown == typed, f"typed due {typed}, a reader in {zone} sees due {shown}"
