"""MHI Hub: coordination platform for Midlands Health Innovation."""
