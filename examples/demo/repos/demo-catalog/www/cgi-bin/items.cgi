#!/bin/sh
printf 'Content-Type: text/plain\r\n\r\n'
tr '\n' ' ' < /app/items.txt
echo
