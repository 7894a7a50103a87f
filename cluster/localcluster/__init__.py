"""A real Kubernetes control plane as local processes, for Queueable's tests and demo.

etcd, kube-apiserver, kube-controller-manager and kube-scheduler are built from the
official Go modules (cluster/gobuild) and run on loopback ports; `node` is a Python
node agent that stands in for a kubelet the way kwok and virtual-kubelet do, running
each container's command as a local process. Nothing here is a fake API server.
"""
