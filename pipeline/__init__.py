"""inventory-activity: daily lakehouse pipeline for car-marketplace inventory activity."""

__version__ = "0.1.0"
