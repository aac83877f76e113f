"""The opportunities engine without the database: building the best cross-institution team for a call."""
