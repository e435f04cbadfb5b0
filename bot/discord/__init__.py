"""The Discord front-end: slash commands and components over the shared bot core."""
