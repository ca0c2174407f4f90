"""Appointments and network meetings: booked from the case, confirmed by the client, seen by
the participants, downloaded as iCalendar files, recorded as contacts once held."""
