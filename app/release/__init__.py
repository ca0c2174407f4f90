"""The release-day checklist (nivelvaihe): services secured across the release transition."""
