"""The error hierarchy, named by what the caller should do about each error."""


class KintsugiError(Exception):
    """Base of every error Kintsugi raises on purpose."""


class ConfigurationError(KintsugiError):
    """Settings or repository configuration are wrong: a human must change them."""


class TransientError(KintsugiError):
    """Something outside us failed for now (network, rate limit): retrying may succeed."""


class PermanentError(KintsugiError):
    """The input can never be processed as it is: retrying will not help."""


class ConflictError(KintsugiError):
    """Someone else changed the same thing first: re-read and decide again."""
