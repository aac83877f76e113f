"""The REST API at /api/v1: one NinjaAPI instance, its auth and its one error format."""
