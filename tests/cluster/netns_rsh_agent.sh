#!/bin/sh
# OpenMPI's remote shell (`--mca plm_rsh_agent`) for "hosts" that are network namespaces of
# this machine (tests/cluster/netns_mpi_test.py, docs/cluster.md). mpirun calls it as ssh:
# `AGENT [OPTIONS] HOST COMMAND...`, COMMAND being shell text; this runs that text in the
# network namespace that $CT_NETNS_MAP ("ns-a=NETNS ns-b=NETNS") gives HOST. nsenter --net
# only switches the network namespace; `ip netns exec` also remounts /sys in a new mount
# namespace, and with mpirun starting both daemons at once one of them sometimes never came
# up (mpirun then waited forever for it; seen in about one run in three).
while [ $# -gt 0 ]; do
  case $1 in
    -*) shift ;;
    *) break ;;
  esac
done
host=$1
shift
for pair in $CT_NETNS_MAP; do
  if [ "${pair%%=*}" = "$host" ]; then
    exec nsenter --net="/run/netns/${pair#*=}" /bin/sh -c "$*"
  fi
done
echo "netns_rsh_agent: no namespace for host '$host' (CT_NETNS_MAP='$CT_NETNS_MAP')" >&2
exit 255
