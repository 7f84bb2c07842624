"""``python -m bot`` is the ``incident-bot`` command."""

import sys

from bot.cli import main

sys.exit(main())
