# Dev image for oms-web (Node.js), built by local-dev from cloned/oms-web.
#
# @orange-health packages come from GitHub Packages and need GITHUB_NPM_TOKEN (read:packages).
# local-dev passes it as a BuildKit secret (--secret id=GITHUB_NPM_TOKEN): it exists only while
# the one RUN below runs, as a file under /run/secrets, and is in no layer, no `docker history`
# and no image config. Never turn it into an ARG or ENV: both are stored in the image.
FROM node:18-bullseye-slim

WORKDIR /srv/oms-web
# npm reads the token from NODE_AUTH_TOKEN, set only for the install command below.
RUN printf '@orange-health:registry=https://npm.pkg.github.com\n//npm.pkg.github.com/:_authToken=${NODE_AUTH_TOKEN}\n' > /srv/.npmrc-github
COPY package.json package-lock.json ./
RUN --mount=type=secret,id=GITHUB_NPM_TOKEN,required=true \
    --mount=type=cache,target=/root/.npm \
    NODE_AUTH_TOKEN="$(cat /run/secrets/GITHUB_NPM_TOKEN)" npm ci --userconfig /srv/.npmrc-github

COPY . .

ENV PORT=8182
EXPOSE 8182
CMD ["npm", "run", "dev"]
