"""The process inside a runner pod: load the target, call it, store the result."""
