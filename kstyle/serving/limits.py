"""What a served model accepts, stated without TensorFlow so the CLI can show and check it.

The exported graph enforces these (`kstyle.serving.savedmodel`); `kstyle export`
reads its defaults and help from here.
"""

# The largest image (height x width) a served model accepts unless `kstyle export --max_pixels` says otherwise.
DEFAULT_MAX_PIXELS = 4096 * 4096
