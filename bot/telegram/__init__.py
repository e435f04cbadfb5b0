"""The Telegram front-end: updates in, the bot core's replies out as HTML with inline keyboards."""
