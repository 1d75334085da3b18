# The patrol image: every role is `patrol <subcommand>` (see docker-compose.yml).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
# Every package, bottom layer first (the layers: README, Architecture).
COPY core core
COPY geo geo
COPY rules rules
COPY thermal thermal
COPY ledger ledger
COPY pipeline pipeline
COPY agents agents
COPY simulators simulators
COPY tools tools
COPY console console
COPY drill drill
COPY cli cli
COPY data data
RUN pip install --no-cache-dir .
ENV PATROL_CITY=/app/data/cities/harbin \
    PATROL_POLICY=/app/data/policy.toml \
    PATROL_LEXICON=/app/data/lexicon.toml \
    PATROL_TOKENS=/app/data/tokens.json
ENTRYPOINT ["patrol"]
CMD ["worker"]
