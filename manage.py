#!/usr/bin/env python
"""Django's manage.py; `mhi` (mhi/cli.py) is the same entry point with dashes allowed in command names."""

from mhi.cli import main

if __name__ == "__main__":
    main()
