"""The operator's web dashboard at /dashboard: server-rendered views of the event log, behind
the admin token (`DASHBOARD_TOKEN`)."""
