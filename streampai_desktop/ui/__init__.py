"""The Qt desktop UI: the only package that imports PySide6.

``run.run_gui`` builds the QApplication and the qasync loop, starts the App and shows the main
window. Pages (``pages/``) never read the bus themselves: view-models (``viewmodels/``) turn bus
messages into Qt signals and wrap the app's actions.
"""
