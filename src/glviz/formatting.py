"""Numbers as glviz writes them for people: 4 significant digits, a true minus sign, ∞ for infinities."""

from __future__ import annotations

import math


def fmt(value: float) -> str:
    """A number to 4 significant digits, with proper minus and infinity signs."""
    value = float(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "−∞" if value < 0 else "∞"
    text = f"{value:.4g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}·10^{int(exponent)}"
    return text.replace("-", "−")


def fmt_term(value: float) -> str:
    """A number as the right operand of · or +: negative numbers in parentheses."""
    text = fmt(value)
    return f"({text})" if text.startswith("−") else text


def plain_decimal(value: float) -> str:
    """A small constant written out in full (ε = 0.00001), never in powers of ten."""
    text = f"{value:.12f}".rstrip("0").rstrip(".")
    return (text or "0").replace("-", "−")


def fmt_short(value: float) -> str:
    """A number to 3 decimals at most, for labels in 3D (0.083, −1.25, 12.5)."""
    value = float(value)
    if not math.isfinite(value):
        return fmt(value)
    text = f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"
    return text.rstrip("0").rstrip(".").replace("-", "−") if "." in text else text.replace("-", "−")


def percent(p: float) -> str:
    """A probability as a percentage: 99.7%, 0.1%, 100%; never 100% or 0% for what is not exactly that
    (99.998%, 0.002%), as many decimals as that takes, up to 6."""
    value = 100.0 * float(p)
    for decimals in range(1, 7):
        text = f"{value:.{decimals}f}"
        if (float(text) < 100.0 or value >= 100.0) and (float(text) > 0.0 or value <= 0.0):
            break
    return f"{text.rstrip('0').rstrip('.')}%"


def decimal(value: float, digits: int = 2) -> str:
    """A small number written out in decimals, with `digits` significant digits: 0.00000044."""
    value = float(value)
    if value == 0 or not math.isfinite(value):
        return fmt(value)
    places = max(digits - 1 - math.floor(math.log10(abs(value))), 0)
    return f"{value:.{places}f}".replace("-", "−")
