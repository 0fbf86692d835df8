"""techlead-reviewer: learns how one person reviews in one repository and reviews pull requests the
way they would."""

import os

# What this service writes (adapters with the reviewer's comments, review records, Dagster's sqlite
# files, scratch mirrors of source code) is for its own account only: files 0600, folders 0700.
# Set on import, so every process that loads the code (CLI, code server, run workers, and the
# daemon and webserver through instance_storage) creates nothing readable by other users.
os.umask(0o077)
