"""The service-need assessment (palvelutarpeen arviointi, SHL § 36) and its desistance factors."""
