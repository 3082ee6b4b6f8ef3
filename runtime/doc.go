// Package runtime is the proactive verifier: it matches operations to model events, keeps each scope's N-cp and watchlist, and answers critical operations with one lookup (docs/SEMANTICS.md §6).
//
// # Locking
//
// One sync.RWMutex guards the cloud context (the stores of every model) and
// the watchlists. Decide takes it for reading, so deciders never block each
// other and a critical decision touches no shared cache line but the lock's
// reader count; Apply, Process and snapshot swaps take it for writing, so the
// context changes one operation at a time, in order, as the semantics
// require (a store cannot be updated in parallel without breaking that
// order). Watchlists are kept per property in 64 shards keyed by a hash of
// the scope id, each an open-addressing table: a lookup is one cache miss,
// and a table grows without long rehash pauses at a million scopes. Shards
// need no lock of their own because their tables change only under the
// write lock; a slow-path decision (a scope without a watchlist)
// builds one under the read lock and keeps it by taking the write lock
// briefly afterwards.
//
// # Expressions
//
// Every expression runs in the first form it has: the Go that gen generated
// (a Pred bound to the expression through runtime/genimpl), else the Fast form through an allocation-free
// interpreter, else CEL compiled once when the engine is built and evaluated
// against the lazy state.View.
package runtime
