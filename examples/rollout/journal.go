package main

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/nsdist/nsdist/distribution/rollout"
	"github.com/nsdist/nsdist/distribution/sqlstore"
)

// isSQLJournal reports whether -journal names a database rather than a
// file: sqlite:PATH or a postgres:// URL, in any case, and anything else
// with a scheme (which sqlstore.Open then refuses without quoting it).
func isSQLJournal(s string) bool {
	return sqlstore.DSNKind(s) != "sqlite" || strings.HasPrefix(strings.ToLower(s), "sqlite:")
}

// openJournal opens -journal: a JSON Lines file, or, for sqlite:PATH and
// postgres:// URLs, a table in distribution/sqlstore that many processes
// can write at once. It returns the problems found in a file journal.
func openJournal(ctx context.Context, spec string) (rollout.Journal, []error, error) {
	if !isSQLJournal(spec) {
		j, err := rollout.OpenJournal(spec)
		if err != nil {
			return nil, nil, err
		}
		var problems []error
		for _, p := range j.Problems() {
			problems = append(problems, p)
		}
		return j, problems, nil
	}
	db, err := sqlstore.Open(ctx, spec)
	if err != nil {
		return nil, nil, err
	}
	j, err := sqlstore.NewJournal(ctx, db, "rollout")
	if err != nil {
		_ = db.Close()
		return nil, nil, err
	}
	return &sqlJournal{Journal: j, db: db}, nil, nil
}

// sqlJournal closes its database with the journal.
type sqlJournal struct {
	*sqlstore.Journal
	db *sql.DB
}

func (s *sqlJournal) Close() error { return errors.Join(s.Journal.Close(), s.db.Close()) }
