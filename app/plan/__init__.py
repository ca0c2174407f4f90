"""The client plan (asiakassuunnitelma): versioned sections, their differences and review date."""
