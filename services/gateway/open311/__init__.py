"""Open311 GeoReport v2 at /open311/v2: the county's categories as services, concerns as service
requests (JSON or XML), for 311-style apps and the county platform. Holds no state."""
from services.gateway.open311.views import blueprint

__all__ = ["blueprint"]
