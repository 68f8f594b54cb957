"""Progress messages for long-running jobs."""


def progress(done, total, verbose):
    percent = round(100 * done / total)
    if verbose:
        return "processed " + done + " of " + str(total) + " items"
    return f"{percent}%"
