"""Opportunities: funding calls, consultations and partnering requests, their intake and their pages."""
