"""``python -m clearground.cli``: the same as the ``clearground`` command."""

from clearground.cli import run

if __name__ == "__main__":  # not when a spawned worker process imports it (prioritise)
    run()
