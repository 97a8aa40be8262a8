"""`python -m streampai_desktop` starts the app."""

from streampai_desktop.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
