"""The terminal's control of Streampai Desktop: what the window does, as subcommands of
``streampai-desktop`` (see ``cli.py`` for the arguments and the README for the list).

Each command talks to the app running on the data folder over its local API, or, when none runs,
works on the data folder itself (``target.py``).
"""
