"""The commented keel.yaml that `keel init` writes."""

KEEL_YAML = """\
# keel.yaml: one file drives the whole life of the model. Every key is checked when keel
# loads this file: a misspelt key or a bad value is an error naming its line.
project: {project}

store:
  # Metadata database: embedded SQLite by default; KEEL_STORE_URL overrides it, e.g.
  # postgresql+psycopg://user@host/db  (pip install 'keel[postgres]')
  url: sqlite:///.keel/keel.db
  # Content-addressed artifacts: a local folder or any fsspec URL (s3://bucket/keel, ...).
  artifacts: .keel/artifacts

tracking:
  experiment: default          # experiment of runs started without one
  flush_interval_s: 1.0        # metric points are committed at least this often
  flush_batch_points: 10000    # ...or as soon as this many are waiting

# The training data: uncomment and point it at yours.
# data:
#   source: data/customers.parquet   # csv / parquet / jsonl, or {{sql: {{url: ..., query: ...}}}}
#   target: churned
#   timestamp: event_time            # optional
#   entity: customer_id              # optional
#   schema_file: schema.json         # written by `keel data schema`; edit it to pin types

# The sections below arrive with later parts of keel; they are shown for orientation.
# features:
#   numeric: {{impute: median, scale: standard}}
# train:
#   metric: roc_auc
#   algorithms: [lightgbm, xgboost, logistic]
# gates:
#   roc_auc: ">= 0.85"
# serve:
#   models: [churn@champion]         # `keel serve`; see docs/serving.md
# deploy:
#   strategy: canary
# monitor:
#   window: 1h
# retrain:
#   on: [drift, performance_drop]
"""
