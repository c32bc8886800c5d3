FROM busybox:1.36
COPY . /app
RUN mkdir -p /www && cp -R /app/www/. /www/ && chmod +x /www/cgi-bin/*
CMD ["sh", "/app/start.sh"]
