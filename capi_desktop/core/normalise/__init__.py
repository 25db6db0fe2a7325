"""Normalising one value: a date or time (``dates``), money (``money``), an email, name or country
(``identity``), and the shared words for what is missing or wrong (``problems``)."""
