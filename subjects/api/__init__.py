"""The subjects app's API: people (one, or up to 10 000 at a time) and the lifecycle events
that feed the retention anchors."""
