"""The local node agent: a Python stand-in for a kubelet, as kwok and virtual-kubelet are.

It registers a Node that stays Ready, watches the pods bound to it and runs each
container's `command` + `args` as a local process (the image is only a label), with
the container's environment and a kubeconfig for the pod's service account, then
reports the pod's status as a kubelet does.
"""
