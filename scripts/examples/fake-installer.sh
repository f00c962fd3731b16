#!/bin/sh
# fake-installer.sh: an interactive installer to automate (for the
# installer.lua example and its spec).  Asks its questions in an order
# that depends on the answers, as real installers do.
printf 'Welcome to Frobnicator 2.0 setup.\n'
printf 'Do you accept the license? [y/N] '
read -r accept
[ "$accept" = y ] || { echo "Setup aborted."; exit 1; }
printf 'Install directory [/opt/frob]: '
read -r dir
[ -n "$dir" ] || dir=/opt/frob
printf 'Install the optional plugins? [y/N] '
read -r plugins
if [ "$plugins" = y ]; then
  printf 'Plugin channel (stable/beta): '
  read -r channel
fi
stty -echo
printf 'Admin password: '
read -r pw
stty echo
printf '\n'
printf 'Installing to %s' "$dir"
for i in 1 2 3; do sleep 0.05; printf '.'; done
printf '\nDone: dir=%s plugins=%s channel=%s pwlen=%s\n' "$dir" "${plugins:-n}" "${channel:--}" "${#pw}"
