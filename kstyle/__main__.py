"""`python -m kstyle` is the `kstyle` command."""

from kstyle.cli.main import run

if __name__ == "__main__":
    run()
