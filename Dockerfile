# The controller manager image `floe install` deploys (`--image`): Floe's built CLI, running `floe controllers`.
# Not built on the development machines (they have no container engine); build it where one exists:
#   docker build -t <registry>/floe:0.1.0 . && docker push <registry>/floe:0.1.0
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json tsconfig.json ./
RUN npm ci --no-audit --no-fund
COPY src ./src
COPY examples ./examples
COPY bench ./bench
COPY test ./test
COPY e2e ./e2e
RUN npx tsc -p tsconfig.json && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The in-Pod launcher of pipeline tasks (python/floe_kfp_launcher.py) and the serving runtimes' scripts.
COPY python ./python
COPY package.json ./
USER node
ENTRYPOINT []
CMD ["node", "dist/src/cli/main.js", "controllers"]
