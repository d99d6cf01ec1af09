# %preun of ridgeline: stop and disable on erase (not on upgrade).
if [ "$1" -eq 0 ] && [ -d /run/systemd/system ]; then
  systemctl stop ridgeline.target ridgeline-bgpd.service ridgeline-bfdd.service >/dev/null 2>&1 || :
  systemctl disable ridgeline.target ridgeline-bfdd.service ridgeline-bgpd.service >/dev/null 2>&1 || :
fi
exit 0
