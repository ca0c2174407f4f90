"""The information texts shown before consent: drafting, review by a second administrator,
publishing (``commands``), the version in force and any version as it was shown (``queries``)
and the lifecycle rules (``rules``)."""
