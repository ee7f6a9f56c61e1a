# SPDX-License-Identifier: MIT
"""Running the tools under mpirun in the MPI tests: two ranks on one machine (oversubscribed:
CI machines may have fewer cores), as root where CI runs as root."""
import os
import signal
import subprocess

MPIEXEC = os.environ.get("AFFINITY_MPIEXEC", "mpirun")


def environment():
    env = dict(os.environ)
    # Open MPI refuses to start as root unless told twice; CI containers run as root.
    env["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
    env["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
    # No network interfaces to probe in a container: shared memory and loopback suffice.
    env.setdefault("OMPI_MCA_btl", "self,vader,tcp")
    env.setdefault("OMPI_MCA_btl_tcp_if_include", "lo")
    env.setdefault("OMPI_MCA_oob_tcp_if_include", "lo")
    return env


def mpirun_command(ranks, command):
    prefix = [MPIEXEC, "--oversubscribe", "-n", str(ranks)]
    if os.geteuid() == 0:
        prefix.append("--allow-run-as-root")
    return prefix + list(command)


def run(ranks, command, timeout=600):
    """Run command as `ranks` processes (ranks = 1: the plain tool, without mpirun)."""
    full = list(command) if ranks == 1 else mpirun_command(ranks, command)
    return subprocess.run(full, capture_output=True, text=True, timeout=timeout, env=environment())


def start(ranks, command, marker, stdout, stderr):
    """Start command under mpirun in the background, its output going to the open files stdout
    and stderr; every rank's environment holds marker, so that kill_rank() finds this run's
    processes and no other's."""
    env = environment()
    env["AFFINITY_MPI_TEST_RUN"] = marker
    return subprocess.Popen(mpirun_command(ranks, command), stdout=stdout, stderr=stderr, env=env)


def rank_pid(marker, rank):
    """The process id of one rank of the run started with marker, or None."""
    wanted = {f"AFFINITY_MPI_TEST_RUN={marker}".encode(), f"OMPI_COMM_WORLD_RANK={rank}".encode()}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as f:
                variables = set(f.read().split(b"\0"))
        except OSError:
            continue
        if wanted <= variables:
            return int(entry)
    return None


def kill_rank(marker, rank):
    """SIGKILL one rank, as a crash or the out-of-memory killer would end it."""
    pid = rank_pid(marker, rank)
    assert pid is not None, f"rank {rank} of run {marker} is not running"
    os.kill(pid, signal.SIGKILL)
