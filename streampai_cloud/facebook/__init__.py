"""Facebook through the account service: the sign-in whose code exchange needs the app's secret.
Everything else (Pages, live videos, comments, reactions) the desktop does with Page tokens."""
