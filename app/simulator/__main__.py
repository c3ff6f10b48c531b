"""`python -m app.simulator`: the simulator in the foreground (app/simulator/cli.py)."""

from app.simulator.cli import main

raise SystemExit(main())
