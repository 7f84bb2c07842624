"""``python -m bot`` is the ``incident-bot`` command."""

import sys

from bot.entrypoints.cli import main

sys.exit(main())
