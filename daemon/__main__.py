"""`python -m daemon`: the composition root. The only module of the runtime that knows the
application: it hands the command line the table of stages (the runtime itself never imports
them). A stop request that comes while the application is still being imported is kept."""

import sys

from daemon.signals import catch_early

catch_early()

from cli.main import main  # noqa: E402 - after catch_early, on purpose
from stages import STAGES  # noqa: E402

sys.exit(main(stages=STAGES))
