// Package runtime is the proactive verifier: it matches operations to model events, keeps each scope's N-cp and watchlist, and answers critical operations with one lookup (docs/SEMANTICS.md §6).
//
// # Locking
//
// One sync.RWMutex guards the cloud context (the stores of every model) and
// the watchlists. Decide takes it for reading, so deciders never block each
// other; Apply, Process and snapshot swaps take it for writing, so the
// context changes one operation at a time, in order, as the semantics
// require. Watchlists are kept per property in 64 shards keyed by a hash of
// the scope id, each with its own small RWMutex: the only watchlist writes
// a reader makes are slow-path rebuilds (a critical operation in a scope that
// has no watchlist), and those lock one shard, so tenants in other shards
// keep deciding. Under the write lock no reader runs and shards are used
// without their locks.
//
// # Expressions
//
// Every expression runs in the first form it has: the Go that gen generated
// (tables.Expr.Go, a Pred), else the Fast form through an allocation-free
// interpreter, else CEL compiled once when the engine is built and evaluated
// against the lazy state.View.
package runtime
