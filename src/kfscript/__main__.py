"""`python -m kfscript` is the `kfscript` command."""

from ._main import main

raise SystemExit(main())
