"""Follow-up of the client plan: recording plan reviews and reminding of the next one."""
