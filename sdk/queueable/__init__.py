"""Queueable: run any method in the background on Kubernetes, without a worker class."""
