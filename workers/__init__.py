"""Workers: job functions that act on stored events, on arq or in-process."""
