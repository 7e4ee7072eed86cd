"""Gateway: the public edge (REST /api/v1, OpenAPI; later Open311 and the portal). Holds no state."""
