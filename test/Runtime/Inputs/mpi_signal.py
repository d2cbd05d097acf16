"""mpi_signal.py - signals one process of an MPI job and times the job's end.

    mpi_signal.py [--ready REGEX] [--caught SIG] [--delay S] RANKS TARGET SIGNAL LIMIT -- mpirun ...

Starts the command, waits until mpirun has started RANKS ranks (its children
with OMPI_COMM_WORLD_RANK in their environment), with --ready until a line
of the job's output matches REGEX, and with --caught until every rank has a
handler for signal SIG (a name: the program is past its setup and ready
for it); waits S more seconds (default 0.3),
sends SIGNAL (a name: KILL, INT, ...) to TARGET (a rank number, or
"mpirun"), and waits up to LIMIT seconds for mpirun to end. Prints the job's
output (stdout and stderr), then "exit status N" and whether it ended within
the limit; a job still running then is killed and the exit status is 1.
"""
import argparse
import os
import re
import signal
import subprocess
import sys
import threading
import time


def rank_pids(parent):
    """{rank: pid} of the processes whose parent is `parent`."""
    ranks = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            if ppid != parent:
                continue
            with open(f"/proc/{entry}/environ", "rb") as f:
                env = f.read().split(b"\0")
        except (OSError, ValueError, IndexError):
            continue
        for var in env:
            if var.startswith(b"OMPI_COMM_WORLD_RANK="):
                ranks[int(var.split(b"=", 1)[1])] = int(entry)
    return ranks


def catches(pid, signum):
    """Whether process pid has a handler for signal signum."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("SigCgt:"):
                    return bool(int(line.split()[1], 16) >> (signum - 1) & 1)
    except OSError:
        pass
    return False


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ready")
    parser.add_argument("--caught")
    parser.add_argument("--delay", type=float, default=0.3)
    parser.add_argument("ranks", type=int)
    parser.add_argument("target")
    parser.add_argument("signal")
    parser.add_argument("limit", type=float)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command

    job = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           start_new_session=True)
    lines, ready = [], threading.Event()
    pattern = re.compile(args.ready) if args.ready else None

    def read():
        for raw in job.stdout:
            line = raw.decode(errors="replace").rstrip("\n")
            lines.append(line)
            if pattern and pattern.search(line):
                ready.set()

    reader = threading.Thread(target=read)
    reader.start()
    if not pattern:
        ready.set()
    caught = getattr(signal, "SIG" + args.caught) if args.caught else None

    def going(pids):
        return (len(pids) == args.ranks and ready.is_set() and
                (caught is None or all(catches(pid, caught) for pid in pids.values())))

    deadline = time.monotonic() + 60
    pids = {}
    while time.monotonic() < deadline and not going(pids):
        if job.poll() is not None:
            break
        pids = rank_pids(job.pid)
        time.sleep(0.05)
    if not going(pids):
        end(job, pids)
        reader.join()
        print("\n".join(lines))
        print("error: the job did not get going within 60 s")
        return 1
    time.sleep(args.delay)
    victim = job.pid if args.target == "mpirun" else pids[int(args.target)]
    start = time.monotonic()
    os.kill(victim, getattr(signal, "SIG" + args.signal))
    try:
        status = job.wait(timeout=args.limit)
    except subprocess.TimeoutExpired:
        end(job, pids)
        reader.join()
        print("\n".join(lines))
        print("error: the job was still running %g s after SIG%s" % (args.limit, args.signal))
        return 1
    took = time.monotonic() - start
    reader.join()
    print("\n".join(lines))
    print("exit status %d" % status)
    print("ended within %g s" % args.limit)
    sys.stderr.write("mpi_signal.py: ended %.2f s after SIG%s\n" % (took, args.signal))
    return 0


def end(job, pids):
    for pid in list(pids.values()) + [job.pid]:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    job.wait()


if __name__ == "__main__":
    sys.exit(main())
