# The patrol image: every role is `patrol <subcommand>` (see docker-compose.yml).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY pipeline pipeline
COPY agents agents
COPY geo geo
COPY simulators simulators
COPY thermal thermal
COPY console console
COPY drill drill
COPY data data
RUN pip install --no-cache-dir .
ENV PATROL_CITY=/app/data/cities/harbin \
    PATROL_POLICY=/app/data/policy.toml \
    PATROL_LEXICON=/app/data/lexicon.toml \
    PATROL_TOKENS=/app/data/tokens.json
ENTRYPOINT ["patrol"]
CMD ["worker"]
