"""The panel (群议): 5 to 10 members of the neighbourhood, kinds mixed and load spread."""
