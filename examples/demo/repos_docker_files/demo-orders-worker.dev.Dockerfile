FROM busybox:1.36
COPY . /app
CMD ["sh", "/app/worker.sh"]
