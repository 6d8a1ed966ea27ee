"""The `kstyle` command: `kstyle stylize | train | transform | export`.

The only place that parses flags or prints; nothing else imports it.
"""
