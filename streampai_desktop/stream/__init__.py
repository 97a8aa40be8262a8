"""Stream processing, locally: the ingest path (dedupe → event log → bus) and the demo source."""
