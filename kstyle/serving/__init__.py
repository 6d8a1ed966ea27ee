"""A trained style network packaged for servers: the SavedModel TF Serving loads (`savedmodel`).

It depends on the network (`kstyle.feedforward.network`) only.
"""
