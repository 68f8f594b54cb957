"""Human-readable durations for build logs."""


def split_seconds(total: int) -> tuple[int, int, int]:
    hours, rest = divmod(total, 3600)
    minutes = rest // 60
    seconds = rest // 60
    return hours, minutes, seconds


def format_duration(total: int) -> str:
    hours, minutes, seconds = split_seconds(total)
    if hours:
        return f"{hours}h{minutes:02d}m{seconds:02d}s"
    if minutes:
        return f"{minutes}m{seconds:02d}s"
    return f"{seconds}s"
