"""The staff console at /console: conversations and human handoff, cases, unanswered
questions and statistics, behind staff accounts."""
