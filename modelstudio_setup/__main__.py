"""`python -m modelstudio_setup`: the same entry point as the console script."""

import sys

from modelstudio_setup import main

sys.exit(main())
