#!/usr/bin/env python3
# Annotated example: every element below is expected once, in order.
"""Inventory helpers: module docstring (docstring)."""

import re

LIMIT = 40; label = "stock-level"  # two variables and a string on one line


class Inventory(Base):  # class name; Base is a reference, not a class
    """Keeps items (class docstring)."""

    # class handles are mentioned in this comment, not a class
    default_unit = 'pcs'

    def __init__(self, items=None):  # dunder: fixed name, not a candidate
        self.items = items or {}   # attribute target: not a variable

    def add_item(
            self,
            name,
            count=1):
        """Add `count` of `name` (multi-line signature)."""
        total = self.items.get(name, 0) + count
        self.items[name] = total
        return total

    async def report(self):
        lines = [f"{name}: {count}" for name, count in self.items.items()]
        for key, value in sorted(self.items.items()):
            lines.append(r'raw\d+ %s' % key)
        with open("report.txt", "w") as handle:
            handle.write("\n".join(lines))
        if (found := re.search(r"\bERR\b", "".join(lines))):
            return ''
        return "x"
