"""Backups, export and import, as the app and the terminal use them.

* :mod:`.bundle`: the export zip's format, and reading one with every check done first.
* :mod:`.export` / :mod:`.importer`: writing an export; adding one to a data folder.
* :mod:`.daily`: the automatic daily backup, a supervised worker in the running app.
* :mod:`.service`: the running app's face for all of it (the window and the local API).

The database copies themselves (made, listed, pruned, restored) are the store's business
(``store/backups.py``, ``store/restore.py``); nothing here writes SQL.
"""
