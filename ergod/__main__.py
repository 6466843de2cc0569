"""`python -m ergod` runs the command line."""

from ergod.cli import main

raise SystemExit(main())
