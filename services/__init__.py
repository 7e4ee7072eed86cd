"""lianyi's processes: four domain services and the gateway."""
