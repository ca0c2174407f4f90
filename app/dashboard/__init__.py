"""The caseworker's dashboard: the numbers of "my clients" and the list behind each one."""
