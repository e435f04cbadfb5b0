"""The chat bots' transport-neutral use cases: plain requests in, replies as data out."""
