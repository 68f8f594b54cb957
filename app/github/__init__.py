"""Everything that talks to GitHub: payload models, App auth, API calls, git."""
