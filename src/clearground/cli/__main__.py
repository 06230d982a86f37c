"""``python -m clearground.cli``: the same as the ``clearground`` command."""

from clearground.cli import run

run()
