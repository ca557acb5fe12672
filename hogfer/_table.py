"""Plain-text tables, aligned for the terminal and valid as Markdown."""

__all__ = ["markdown_table"]


def markdown_table(headers, rows, *, align=None):
    """Return a Markdown table whose columns are padded to line up in a terminal.

    Parameters
    ----------
    headers : sequence of str
    rows : sequence of sequence
        Cells are converted with ``str``.
    align : sequence of {"l", "r"}, default=None
        Per-column alignment; numbers right, text left when None.
    """
    cells = [[str(c) for c in row] for row in rows]
    if align is None:
        align = ["r" if rows and all(_is_number(r[i]) for r in rows) else "l" for i in range(len(headers))]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]

    def line(values):
        padded = [v.rjust(w) if a == "r" else v.ljust(w) for v, w, a in zip(values, widths, align)]
        return "| " + " | ".join(padded) + " |"

    rule = "|" + "|".join(("-" * (w + 1) + ":") if a == "r" else ("-" * (w + 2)) for w, a in zip(widths, align)) + "|"
    return "\n".join([line(headers), rule, *(line(r) for r in cells)])


def _is_number(value):
    if isinstance(value, (int, float)):
        return True
    try:
        float(str(value).replace(",", "").rstrip("%x"))
        return True
    except ValueError:
        return False
