"""Browser journeys: Debian's Chromium driven by Playwright against a live ``flask run`` server."""
