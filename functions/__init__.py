"""Edge functions a repository declares, and the sandbox all untrusted code runs in."""

from functions.sandbox import Sandbox, SandboxLimits, SandboxResult

__all__ = ["Sandbox", "SandboxLimits", "SandboxResult"]
