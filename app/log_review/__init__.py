"""The review of the access log (omavalvonta): searches, and who could see what when."""
