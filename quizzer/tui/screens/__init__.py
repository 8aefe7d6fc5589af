"""The practice UI's screens, one per module."""
