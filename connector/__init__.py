"""A participant's runtime in the JNT data space and the composition root: settings, logging and the `jnt`
command line today; identity, the Dataspace Protocol control plane and the data plane as the issues land."""
