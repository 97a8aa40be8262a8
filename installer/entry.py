"""PyInstaller entry point: the frozen app runs exactly what ``streampai-desktop`` runs."""

import sys

from streampai_desktop.cli import main

if __name__ == "__main__":
    sys.exit(main())
