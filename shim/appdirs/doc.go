// Package appdirs is where a container's app directory lives and how it is
// built from the container's image: the shim's state root (beside the
// containerd that started it), the app directory of each container, the
// node's file store its files link into, and the read of the image through
// containerd's content API.
//
// It is apart from package shim so that the start action can link it: the
// start action reads the app of a container that starts a new shim server
// while that server execs, and records it in the bundle (Prepare); the
// server's Create takes it from there (TakePrepared) instead of reading the
// image itself, and the delete action removes one whose Create never came
// (Unclaimed). It links neither ttrpc's server side nor the task API.
package appdirs
