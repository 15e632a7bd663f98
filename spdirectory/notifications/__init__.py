"""Notifications: an email outbox filled by other areas and delivered by a cron command."""
