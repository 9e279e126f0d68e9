"""`python -m daemon`: the composition root. The only module of the runtime that knows the
application: it hands the command line the table of stages (the runtime itself never imports
them)."""

import sys

from cli.main import main
from stages import STAGES

sys.exit(main(stages=STAGES))
