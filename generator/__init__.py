"""chenglai: a static deterrence portal generator for the list of dishonest judgment debtors."""

__version__ = "0.1.0"
