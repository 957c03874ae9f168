# One image for every SawBrain service; SAWBRAIN_ROLES picks what a container runs.
FROM node:20-bookworm-slim
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY services ./services
COPY edge ./edge
COPY seeds ./seeds
COPY dashboards ./dashboards
COPY bin ./bin
ENV NODE_ENV=production SAWBRAIN_DATA_DIR=/data
VOLUME /data
CMD ["node", "--import", "tsx", "services/app/main.ts"]
