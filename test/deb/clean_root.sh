#!/usr/bin/env bash
# test/deb/clean_root.sh DEBDIR VERSION: install the packages that
# ./build.sh deb built (nskit, libnskit0, libnskit-dev) into a throw-away root
# and use them there (in_root.sh).  One "NAME: ok" or "NAME: FAILED (why)"
# line per check.  Run by ./build.sh test-deb.
#
# The throw-away root is this machine's own / seen through an overlay whose
# upper layer is a tmpfs, in a mount namespace of its own (unshare -m,
# private propagation): apt-get installs into the overlay, taking the
# dependencies from what this machine has installed (no download), and when
# the namespace's last process exits the tmpfs and every mount go with it.
# The host keeps only the empty mount point, removed at the end.
set -u
here=$(dirname "$(readlink -f "$0")")
debs=$(readlink -f "$1") v=$2

if [ -z "${NSKIT_DEB_BASE:-}" ]; then
    [ "$(id -u)" -eq 0 ] || { echo "clean root: FAILED (needs root: mounts and apt-get)"; exit 1; }
    base=$(mktemp -d /tmp/nskit-root.XXXXXX)
    NSKIT_DEB_BASE=$base unshare --mount --propagation private -- "$0" "$@"
    rc=$?
    if mountpoint -q "$base" || ! rmdir "$base"; then
        echo "clean root removed: FAILED ($base is left behind)"
    else
        echo "clean root removed: ok"
    fi
    exit $rc
fi

# In the private mount namespace.
base=$NSKIT_DEB_BASE
fail() { echo "clean root: FAILED ($1)"; exit 1; }
mount -t tmpfs -o size=4g,mode=0755 nskit-deb-root "$base" || fail "tmpfs"
mkdir "$base/upper" "$base/work" "$base/root"
mount -t overlay nskit-deb-root -o "lowerdir=/,upperdir=$base/upper,workdir=$base/work" "$base/root" \
    || fail "overlay over /"
root=$base/root
mount -t proc proc "$root/proc" || fail "proc"
mount --rbind /dev "$root/dev" || fail "/dev"
mount -t tmpfs tmp "$root/tmp" || fail "/tmp"
mkdir -p "$root/nskit-test/debs"
for p in nskit libnskit0 libnskit-dev; do
    cp "$debs/${p}_${v}_"*.deb "$root/nskit-test/debs/" || fail "no ${p}_${v} package in $debs"
done
cp -r "$here/../consumer" "$root/nskit-test/consumer"
cp "$here/in_root.sh" "$here/../tools/completion.sh" "$root/nskit-test/"
chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
    /bin/bash /nskit-test/in_root.sh "$v"
