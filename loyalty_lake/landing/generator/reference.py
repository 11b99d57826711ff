"""The retailer's reference data: product categories and their prices, regions, names."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


def _words(text: str) -> tuple[str, ...]:
    """Returns the whitespace-separated words of ``text``."""
    return tuple(text.split())


@dataclass(frozen=True, slots=True)
class Category:
    """A product category: price range, share of sales lines and product nouns."""

    name: str
    low: int
    high: int
    share: float
    nouns: tuple[str, ...]


CATEGORIES: Final = (
    Category(
        "Grocery", 1, 25, 0.26, ("Coffee", "Pasta", "Olive Oil", "Granola", "Tea", "Chocolate")
    ),
    Category(
        "Health",
        3,
        60,
        0.12,
        ("Vitamins", "Pain Relief", "Plasters", "Protein Powder", "Cough Syrup"),
    ),
    Category(
        "Beauty", 4, 90, 0.11, ("Shampoo", "Face Cream", "Lipstick", "Perfume", "Body Lotion")
    ),
    Category("Apparel", 10, 150, 0.12, ("T-Shirt", "Jeans", "Jacket", "Socks", "Hoodie", "Dress")),
    Category("Home", 8, 250, 0.12, ("Towel Set", "Cookware", "Lamp", "Cushion", "Kettle")),
    Category(
        "Electronics", 40, 900, 0.07, ("Headphones", "Speaker", "Smartwatch", "Tablet", "Camera")
    ),
    Category(
        "Toys", 6, 120, 0.09, ("Puzzle", "Board Game", "Building Set", "Plush Bear", "Toy Car")
    ),
    Category(
        "Sports",
        10,
        300,
        0.11,
        ("Yoga Mat", "Running Shoes", "Dumbbells", "Football", "Bike Helmet"),
    ),
)
ADJECTIVES: Final = _words(
    "Classic Premium Everyday Eco Pro Compact Deluxe Essential Organic Ultra"
)
REGIONS: Final = {
    "London": ("London", "Croydon", "Kingston upon Thames"),
    "South East": ("Brighton", "Reading", "Oxford", "Southampton"),
    "Midlands": ("Birmingham", "Nottingham", "Leicester", "Coventry"),
    "North": ("Manchester", "Leeds", "Liverpool", "Newcastle upon Tyne", "Sheffield"),
    "Scotland": ("Glasgow", "Edinburgh", "Aberdeen"),
}
STORE_SUFFIXES: Final = (
    "Central",
    "Retail Park",
    "High Street",
    "Shopping Centre",
    "Station",
    "Outlet",
)
FIRST_NAMES: Final = _words(
    "Oliver Amelia George Isla Harry Ava Noah Mia Jack Ivy Leo Lily Arthur Sophia Muhammad "
    "Grace Oscar Freya Charlie Emily Thomas Ella James Poppy William Chloe Henry Evie Alfie "
    "Ruby Priya Aisha Mohammed Zara Daniel Sarah David Emma Lucas Hannah"
)
LAST_NAMES: Final = _words(
    "Smith Jones Taylor Brown Williams Wilson Johnson Davies Patel Robinson Wright Thompson "
    "Evans Walker White Roberts Green Hall Wood Jackson Clarke Khan Lewis Harris Martin "
    "Cooper King Lee Baker Hughes Edwards Turner Hill Moore Clark Ahmed Singh Scott Young "
    "Mitchell"
)
EMAIL_DOMAINS: Final = ("example.com", "example.org", "example.net")
