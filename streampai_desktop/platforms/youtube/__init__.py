"""YouTube: declared (endpoints, capabilities); its connector comes in a later issue."""
