#!/usr/bin/env python3
"""Machine-wide leftover check around the test passes (build.sh).

test_support's leak check sees what one test binary leaves in its own view;
this sees what the whole run leaves on the machine, including processes
re-parented away from the runner.  Usage:

  leftovers.py snapshot FILE            host state before the passes
  leftovers.py supervise FILE -- CMD..  run CMD as a child subreaper; every
                                        process of the run still alive when
                                        CMD ends is written to FILE, killed
                                        and reaped; exit status is CMD's
  leftovers.py compare BEFORE ORPHANS   one line per check: "NAME: ok" or
                                        "NAME: FAILED (...)", then details
  leftovers.py selftest                 the check finds what it must find

What counts, so that unrelated activity on a shared machine does not:
  processes  descendants of the supervisor (the subreaper: orphans come back
             to it) and any process carrying this run's token in its
             environment (NSKIT_LEFTOVER_TOKEN), zombies included
  links      new links of a kind the suite makes (veth) in the host netns
  netns      new names in /run/netns and in `ip netns`
  mounts     new mounts in the mount namespace of the check
  cgroups    new cgroup directories whose name the suite uses (nskit*,
             libpod_parent: the podman case) in every mounted hierarchy
"""
import ctypes
import json
import os
import signal
import subprocess
import sys
import time

PR_SET_CHILD_SUBREAPER = 36
SUITE_LINK_KINDS = {"veth"}
SUITE_CGROUP_NAMES = ("nskit", "libpod_parent")
TOKEN_VAR = "NSKIT_LEFTOVER_TOKEN"


def read(path, mode="r"):
    try:
        with open(path, mode) as f:
            return f.read()
    except OSError:
        return None


def links():
    try:
        out = subprocess.run(["ip", "-j", "-d", "link"], capture_output=True, text=True, check=True).stdout
        return [{"ifindex": l["ifindex"], "name": l["ifname"],
                 "kind": l.get("linkinfo", {}).get("info_kind", "")} for l in json.loads(out or "[]")]
    except (OSError, subprocess.CalledProcessError, ValueError) as e:
        return {"error": str(e)}


def netns():
    names = set()
    try:
        names.update("dir:" + n for n in os.listdir("/run/netns"))
    except FileNotFoundError:
        pass
    try:
        out = subprocess.run(["ip", "-j", "netns", "list"], capture_output=True, text=True, check=True).stdout
        names.update("ip:" + n["name"] for n in json.loads(out or "[]"))
    except (OSError, subprocess.CalledProcessError, ValueError) as e:
        return {"error": str(e)}
    return sorted(names)


def mounts():
    text = read("/proc/self/mountinfo") or ""
    out = []
    for line in text.splitlines():
        f = line.split()
        if len(f) < 10:
            continue
        sep = f.index("-")
        out.append(f"{f[0]} {f[4]} {f[sep + 1]} {f[sep + 2]}")  # id, mount point, type, source
    return sorted(out)


def cgroup_roots():
    roots = []
    for line in (read("/proc/self/mountinfo") or "").splitlines():
        f = line.split()
        if "-" in f and f[f.index("-") + 1] in ("cgroup", "cgroup2") and f[4].startswith("/sys/fs/cgroup"):
            roots.append(f[4])
    return roots


def cgroups():
    found = []
    for root in cgroup_roots():
        for top, dirs, _ in os.walk(root, onerror=lambda e: None):
            for d in dirs:
                if d.startswith(SUITE_CGROUP_NAMES):
                    found.append(os.path.join(top, d))
            if top.count("/") - root.count("/") >= 6:  # bounded: the suite's layouts are 5 deep
                dirs[:] = []
    return sorted(found)


def snapshot():
    return {"links": links(), "netns": netns(), "mounts": mounts(), "cgroups": cgroups()}


def proc_info(pid):
    stat = read(f"/proc/{pid}/stat")
    if not stat:
        return None
    rest = stat[stat.rindex(")") + 2:].split()
    comm = stat[stat.index("(") + 1:stat.rindex(")")]
    cmd = (read(f"/proc/{pid}/cmdline", "rb") or b"").replace(b"\0", b" ").decode(errors="replace").strip()
    return {"pid": pid, "comm": comm, "state": rest[0], "ppid": int(rest[1]), "cmd": cmd[:200]}


def descendants(pid):
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        for task in os.listdir(f"/proc/{p}/task") if os.path.isdir(f"/proc/{p}/task") else []:
            kids = read(f"/proc/{p}/task/{task}/children") or ""
            for k in kids.split():
                out.append(int(k))
                todo.append(int(k))
    return out


def carrying_token(token, exclude):
    found = []
    needle = f"{TOKEN_VAR}={token}".encode()
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) in exclude:
            continue
        env = read(f"/proc/{d}/environ", "rb")
        if env and needle in env.split(b"\0"):
            found.append(int(d))
    return found


def supervise(report, cmd):
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        print("leftovers: cannot become a child subreaper", file=sys.stderr)
        return 125
    token = f"{os.getpid()}-{time.time_ns()}"
    env = dict(os.environ, **{TOKEN_VAR: token})
    child = subprocess.Popen(cmd, env=env)
    status = None
    while status is None:  # reap orphans as they end: they are the run's business while it lasts
        try:
            pid, st = os.waitpid(-1, 0)
        except ChildProcessError:
            break
        if pid == child.pid:
            status = os.waitstatus_to_exitcode(st)
    # A process killed by its parent's death may still be on its way out: bounded wait.
    left = []
    for _ in range(40):
        while True:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                pid = 0
            if pid == 0:
                break
        left = descendants(os.getpid()) + carrying_token(token, {os.getpid()})
        if not left:
            break
        time.sleep(0.05)
    infos = [i for i in (proc_info(p) for p in sorted(set(left))) if i]
    with open(report, "w") as f:
        json.dump(infos, f)
    for i in infos:
        try:
            os.kill(i["pid"], signal.SIGKILL)
        except OSError:
            pass
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            if os.waitpid(-1, os.WNOHANG)[0] == 0:
                time.sleep(0.05)
        except ChildProcessError:
            break
    return status if status is not None else 125


def compare(before_file, orphans_file):
    with open(before_file) as f:
        before = json.load(f)
    after = snapshot()
    results = []

    orphans = json.load(open(orphans_file)) if os.path.exists(orphans_file) else None
    if orphans is None:
        results.append(("processes", ["the supervisor wrote no report"]))
    else:
        results.append(("processes", [f"pid {o['pid']} ({o['comm']}) state {o['state']} ppid {o['ppid']}: {o['cmd']}"
                                      for o in orphans]))

    if isinstance(before["links"], dict) or isinstance(after["links"], dict):
        results.append(("links", ["ip -j link failed: " + str(before["links"]) + str(after["links"])]))
    else:
        old = {(l["ifindex"], l["name"]) for l in before["links"]}
        results.append(("links", [f"{l['name']} (ifindex {l['ifindex']}, {l['kind']})" for l in after["links"]
                                  if (l["ifindex"], l["name"]) not in old and l["kind"] in SUITE_LINK_KINDS]))
    if isinstance(before["netns"], dict) or isinstance(after["netns"], dict):
        results.append(("netns", ["ip netns list failed"]))
    else:
        results.append(("netns", sorted(set(after["netns"]) - set(before["netns"]))))
    results.append(("mounts", sorted(set(after["mounts"]) - set(before["mounts"]))))
    results.append(("cgroups", sorted(set(after["cgroups"]) - set(before["cgroups"]))))

    failed = False
    for name, found in results:
        if found:
            failed = True
            print(f"leftovers: {name}: FAILED ({len(found)} left behind)")
            for x in found:
                print(f"  {x}")
        else:
            print(f"leftovers: {name}: ok")
    return 1 if failed else 0


def selftest():
    """The check must find an orphan, a token carrier outside the tree and a
    zombie: a check that cannot fail is no check."""
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        report = os.path.join(d, "orphans")
        # an orphan (its parent exits at once), and under it a zombie it never reaps
        script = "import os,time\nif os.fork()==0:\n  if os.fork()==0: os._exit(0)\n  time.sleep(60)\nos._exit(0)\n"
        rc = supervise(report, [sys.executable, "-c", script])
        found = json.load(open(report))
        states = sorted(o["state"] for o in found)
        ok = rc == 0 and states == ["S", "Z"]
        print(f"leftovers: selftest: {'ok' if ok else 'FAILED'} (found {states}, status {rc})")
        return 0 if ok else 1


def main(argv):
    if len(argv) >= 2 and argv[0] == "snapshot":
        with open(argv[1], "w") as f:
            json.dump(snapshot(), f)
        return 0
    if len(argv) >= 4 and argv[0] == "supervise" and argv[2] == "--":
        return supervise(argv[1], argv[3:])
    if len(argv) == 3 and argv[0] == "compare":
        return compare(argv[1], argv[2])
    if argv == ["selftest"]:
        return selftest()
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
