# %pre of ridgeline: the system user.
getent group ridgeline >/dev/null || groupadd -r ridgeline
getent passwd ridgeline >/dev/null || \
  useradd -r -g ridgeline -d /nonexistent -s /sbin/nologin -c "Ridgeline routing daemons" ridgeline
exit 0
