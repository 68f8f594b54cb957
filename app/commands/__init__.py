"""Slash commands in issue and pull-request comments: `/heal`, `/fix`, `/evolve`, `/run`,
`/status`, `/help`."""

from app.commands.parse import COMMANDS, Command, CommandRequest, parse_command, request_from_event

__all__ = ["COMMANDS", "Command", "CommandRequest", "parse_command", "request_from_event"]
