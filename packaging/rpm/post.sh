# %post of ridgeline: the config's group; systemd (as %systemd_post: enable on install, restart on upgrade).
chgrp ridgeline /etc/ridgeline /etc/ridgeline/ridgeline.conf
chmod 2770 /etc/ridgeline
chmod 0660 /etc/ridgeline/ridgeline.conf
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload >/dev/null 2>&1 || :
  if [ "$1" -eq 1 ]; then
    systemctl enable ridgeline.target ridgeline-bfdd.service ridgeline-bgpd.service >/dev/null 2>&1 || :
  else
    systemctl try-restart ridgeline-bfdd.service ridgeline-bgpd.service >/dev/null 2>&1 || :
  fi
fi
exit 0
