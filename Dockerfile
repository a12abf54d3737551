# The Zoufang service: API and PWA in one image. Dependencies come from uv.lock, exactly.
FROM python:3.11.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy
RUN pip install --no-cache-dir uv==0.13.9

WORKDIR /app
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY api ./api
COPY pwa ./pwa
RUN uv sync --frozen --no-dev

ENV ZOUFANG_DATA_DIR=/data
VOLUME ["/data"]
EXPOSE 8000
CMD ["/app/.venv/bin/zoufang", "serve", "--host", "0.0.0.0", "--port", "8000"]
