"""Staff's second factor: TOTP enrolment, codes at sign-in, recovery codes, security events."""
