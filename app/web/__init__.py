"""The web pages: one package per audience, each thin routes + forms over the features."""
