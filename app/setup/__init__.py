"""First run: registering the GitHub App from its manifest, and writing what GitHub answers."""
