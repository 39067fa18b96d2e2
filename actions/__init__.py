"""Custom actions: thin adapters from Rasa trackers to bot/ (see actions/answer.py)."""
